import Hummingbird
import Logging
import StarlingProtocol

/// Makes every failure answer an ``APIErrorBody``: routing errors (unknown path, wrong method) get a
/// code of their own and unexpected errors become a logged 500 `internal_error`.
struct ErrorBodyMiddleware: RouterMiddleware {
    typealias Context = AggregatorRequestContext

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            if !(error is APIError || error is HTTPError) {
                context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            }
            throw Self.apiError(error)
        }
    }

    /// The answer `error` gets: itself if an ``APIError``, a routing error with its own code, and
    /// anything else as a 500 `internal_error` that tells the client nothing more.
    static func apiError(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as HTTPError:
            return APIError(error.status, code(for: error.status), error.body ?? "the request cannot be answered")
        default:
            return .internal("the aggregator failed to answer this request")
        }
    }

    /// The code a client is answered for `error`: an ``APIError``'s own, a routing error's, or
    /// `internal_error` for anything else.
    static func code(of error: any Error) -> APIErrorCode {
        switch error {
        case let error as APIError: error.code
        case let error as HTTPError: code(for: error.status)
        default: .internalError
        }
    }

    static func code(for status: HTTPResponse.Status) -> APIErrorCode {
        switch status {
        case .notFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .badRequest: .http400
        case .contentTooLarge: .bodyTooLarge
        default: status.code >= 500 ? .internalError : .invalidRequest
        }
    }
}
