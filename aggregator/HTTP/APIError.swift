import Foundation
import Hummingbird
import StarlingProtocol

/// A refusal the API answers with: an HTTP status, a stable machine-readable code and one sentence.
///
/// Every failure a handler can report is an `APIError`; it renders itself as an ``APIErrorBody``
/// so clients branch on `code` and people read `message`. Codes never change meaning once shipped.
struct APIError: HTTPResponseError, CustomStringConvertible, Equatable {
    var status: HTTPResponse.Status
    var code: APIErrorCode
    var message: String

    init(_ status: HTTPResponse.Status, _ code: APIErrorCode, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    var description: String { "\(status.code) \(code.rawValue): \(message)" }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = (try? StarlingJSON.encoder().encode(APIErrorBody(code: code.rawValue, message: message))) ?? Data()
        return Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

extension APIError {
    static func badRequest(_ code: APIErrorCode, _ message: String) -> APIError { APIError(.badRequest, code, message) }
    static func notFound(_ code: APIErrorCode, _ message: String) -> APIError { APIError(.notFound, code, message) }
    static func conflict(_ code: APIErrorCode, _ message: String) -> APIError { APIError(.conflict, code, message) }

    static let unauthorized = APIError(.unauthorized, .unauthorized, "a valid admin bearer token is required")
    /// A bearer token no admin token has: the same code as a missing one, since neither names a caller.
    static let unknownToken = APIError(
        .unauthorized, .unauthorized, "the bearer token is not an admin token of this aggregator")
    static let unknownDevice = APIError(.forbidden, .unknownDevice, "the client certificate names no enrolled device")
    static let deviceRevoked = APIError(
        .forbidden, .deviceRevoked,
        "an admin revoked this device, so its certificate is refused; enroll it again with a new enrollment token")

    /// A caller whose token's role is below what the route needs (see ``AdminEndpoint``).
    static func insufficientRole(_ role: AdminRole, needs needed: AdminRole) -> APIError {
        APIError(
            .forbidden, .insufficientRole,
            "this call needs a token of role \(needed.rawValue) or above, and this token's role is \(role.rawValue)")
    }
    static let bodyTooLarge = APIError(
        .contentTooLarge, .bodyTooLarge, "the request body is larger than this endpoint accepts")

    static func modelNotFound(_ name: String) -> APIError {
        .notFound(.modelNotFound, "there is no model named '\(name)'")
    }
    static func versionNotFound(_ name: String, _ version: Int) -> APIError {
        .notFound(.versionNotFound, "model '\(name)' has no version \(version)")
    }
    /// Rollouts and experiments alike.
    static func deploymentNotFound(_ id: String) -> APIError {
        .notFound(.deploymentNotFound, "there is no deployment '\(id)'")
    }

    /// A failure of the aggregator itself (storage, files), logged by the caller; the client learns only that.
    static func `internal`(_ message: String) -> APIError { APIError(.internalServerError, .internalError, message) }
}
