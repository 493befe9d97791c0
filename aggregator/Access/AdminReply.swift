import Hummingbird
import StarlingProtocol

/// What an admin route's handler answers: the response, and what the call created (`"deployment":
/// "dep-…"`), which ``AdminGate`` writes to the audit log beside the route's parameters.
struct AdminReply: Sendable {
    var response: Response
    var created: [String: String] = [:]

    /// `value` as a JSON body with `status`.
    static func json<T: Encodable>(
        _ value: T, status: HTTPResponse.Status = .ok, created: [String: String] = [:]
    ) throws(APIError) -> AdminReply {
        AdminReply(response: try JSONResponse.make(value, status: status), created: created)
    }
}

/// The handler of one admin route.
typealias AdminHandler = @Sendable (Request, AggregatorRequestContext) async throws -> AdminReply
