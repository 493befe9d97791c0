import Hummingbird
import StarlingProtocol

/// Runs one admin route for the caller ``AdminAuthMiddleware`` authenticated: a caller whose role
/// is below the route's (``AdminEndpoint/route``) gets 403 `insufficient_role` and the handler never
/// runs; every call of a method other than GET is written to the audit log with its outcome,
/// refusals included.
struct AdminGate: Sendable {
    let endpoint: AdminEndpoint
    let audit: AuditLog
    let handler: AdminHandler

    func respond(_ request: Request, _ context: AggregatorRequestContext) async throws -> Response {
        guard let caller = context.admin else { throw APIError.unauthorized }
        do {
            guard caller.role >= endpoint.route.role else {
                throw APIError.insufficientRole(caller.role, needs: endpoint.route.role)
            }
            let reply = try await handler(request, context)
            await record(caller, context, status: reply.response.status, code: nil, created: reply.created)
            return reply.response
        } catch {
            let refusal = ErrorBodyMiddleware.apiError(error)
            await record(caller, context, status: refusal.status, code: refusal.code.rawValue, created: [:])
            throw error
        }
    }

    private func record(
        _ caller: AdminPrincipal, _ context: AggregatorRequestContext, status: HTTPResponse.Status, code: String?,
        created: [String: String]
    ) async {
        guard endpoint.isAudited else { return }
        var targets = created
        for name in endpoint.parameters {
            if let value = context.parameters.get(name) { targets[name] = String(value.prefix(200)) }
        }
        do {
            try await audit.append(
                caller: caller, method: endpoint.route.method.rawValue, route: endpoint.template, targets: targets,
                status: status.code, code: code)
        } catch {
            context.logger.error(
                "cannot write the audit log",
                metadata: ["route": "\(endpoint.template)", "token": "\(caller.tokenId)", "error": "\(error)"])
        }
    }
}
