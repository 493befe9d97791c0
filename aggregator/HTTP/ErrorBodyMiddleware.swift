import Hummingbird
import Logging

/// Makes every failure answer an ``APIErrorBody``: routing errors (unknown path, wrong method) get a
/// code of their own and unexpected errors become a logged 500 `internal_error`.
struct ErrorBodyMiddleware: RouterMiddleware {
    typealias Context = AggregatorRequestContext

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as HTTPError {
            throw APIError(error.status, Self.code(for: error.status), error.body ?? "the request cannot be answered")
        } catch {
            context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            throw APIError.internal("the aggregator failed to answer this request")
        }
    }

    /// The code a client is answered for `error`: an ``APIError``'s own, a routing error's, or
    /// `internal_error` for anything else.
    static func code(of error: any Error) -> String {
        switch error {
        case let error as APIError: error.code
        case let error as HTTPError: code(for: error.status)
        default: "internal_error"
        }
    }

    static func code(for status: HTTPResponse.Status) -> String {
        switch status {
        case .notFound: return "not_found"
        case .methodNotAllowed: return "method_not_allowed"
        default: return "http_\(status.code)"
        }
    }
}
