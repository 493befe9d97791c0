import NIOHTTP1
import StarlingProtocol

/// A request the local API refuses: an HTTP status, a stable code and one sentence, rendered as
/// an ``APIErrorBody``.
public struct APIProblem: Error, Sendable, Equatable {
    var status: HTTPResponseStatus
    var code: APIErrorCode
    var message: String

    static let noModel = APIProblem(
        status: .serviceUnavailable, code: .noModel, message: "No model is installed on this device yet.")
    static let bodyTooLarge = APIProblem(
        status: .payloadTooLarge, code: .bodyTooLarge,
        message: "The request body is larger than \(BodyLimit.json) bytes.")
    static let notFound = APIProblem(status: .notFound, code: .notFound, message: "There is no such endpoint.")
    static let methodNotAllowed = APIProblem(
        status: .methodNotAllowed, code: .methodNotAllowed, message: "This endpoint does not take that method.")

    static func invalidJSON(_ reason: String) -> APIProblem {
        APIProblem(status: .badRequest, code: .invalidJSON, message: "The body is not the expected JSON: \(reason).")
    }

    static func invalidFeatures(_ message: String) -> APIProblem {
        APIProblem(status: .badRequest, code: .invalidFeatures, message: message)
    }

    static func internalError(_ message: String) -> APIProblem {
        APIProblem(status: .internalServerError, code: .internalError, message: message)
    }
}
