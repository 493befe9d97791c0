import Hummingbird
import StarlingProtocol

/// The admin API under `/v1/admin`: one route per ``AdminEndpoint``, each run through an
/// ``AdminGate`` (role check and audit) behind ``AdminAuthMiddleware``.
enum AdminRoutes {
    static func add(to group: RouterGroup<AggregatorRequestContext>, _ components: Components) {
        for endpoint in AdminEndpoint.allCases {
            let gate = AdminGate(endpoint: endpoint, audit: components.audit, handler: handler(endpoint, components))
            group.on(RouterPath(endpoint.route.path), method: endpoint.route.method) { request, context in
                if endpoint.carriedOutByLeader, !components.leadership.isLeader {
                    return try await components.forwarder.forward(request)
                }
                return try await gate.respond(request, context)
            }
        }
    }

    /// What each endpoint does.
    static func handler(_ endpoint: AdminEndpoint, _ components: Components) -> AdminHandler {
        switch endpoint {
        case .listAdminTokens:
            return { _, _ in try AdminReply.json(try await components.adminTokens.list()) }
        case .createAdminToken:
            return { request, _ in
                let body = try await RequestBody.json(CreateAdminTokenRequest.self, from: request)
                let created = try await components.adminTokens.create(body)
                return try AdminReply.json(created, status: .created, created: ["token": created.info.id])
            }
        case .revokeAdminToken:
            return { _, context in
                try AdminReply.json(try await components.adminTokens.revoke(id: try context.parameters.require("id")))
            }
        case .listEnrollmentTokens:
            return { _, _ in try AdminReply.json(try await components.enrollmentTokens.list()) }
        case .createEnrollmentToken:
            return { request, _ in
                let body = try await RequestBody.json(CreateEnrollmentTokenRequest.self, from: request)
                let created = try await components.enrollmentTokens.create(body)
                return try AdminReply.json(created, status: .created, created: ["enrollment-token": created.id])
            }
        case .revokeEnrollmentToken:
            return { _, context in
                try AdminReply.json(
                    try await components.enrollmentTokens.revoke(id: try context.parameters.require("id")))
            }
        case .listDevices:
            return { _, _ in try AdminReply.json(components.devices.list()) }
        case .revokeDevice:
            return { request, context in
                let body = try await RequestBody.json(RevokeDeviceRequest.self, from: request)
                return try AdminReply.json(
                    try await components.revocation.revoke(id: try context.parameters.require("id"), body))
            }
        case .listModels:
            return { _, _ in try AdminReply.json(try await components.catalog.models()) }
        case .createModel:
            return createModel(components)
        case .importModel:
            return importModel(components)
        case .listVersions:
            return listVersions(components)
        case .showMonitor:
            return { request, context in
                let (version, seconds) = try FleetMonitoring.query(request)
                return try AdminReply.json(
                    try await components.monitoring.report(
                        model: try context.parameters.require("name"), version: version, seconds: seconds))
            }
        case .downloadWeights:
            return { request, context in
                AdminReply(response: try await WeightsHandler.answer(request, context, catalog: components.catalog))
            }
        case .listAliases:
            return { _, context in
                try AdminReply.json(try await components.aliases.list(model: try context.parameters.require("name")))
            }
        case .setAlias:
            return setAlias(components)
        case .deleteAlias:
            return deleteAlias(components)
        case .startRun:
            return { request, _ in
                let body = try await RequestBody.json(StartRunRequest.self, from: request)
                let run = try await components.runs.start(body)
                return try AdminReply.json(run, status: .created, created: ["run": run.id])
            }
        case .showRun:
            return { _, context in
                try AdminReply.json(try await components.runStore.info(id: try context.parameters.require("id")))
            }
        case .startEvaluation:
            return { request, _ in
                let body = try await RequestBody.json(EvaluateRequest.self, from: request)
                let run = try await components.runs.startEvaluation(body)
                return try AdminReply.json(run, status: .created, created: ["run": run.id])
            }
        case .listProfiles:
            return { _, _ in try AdminReply.json(try await components.profiles.list()) }
        case .showProfile:
            return showProfile(components)
        case .collectStatistics:
            return { request, _ in
                let body = try await RequestBody.json(CollectStatisticsRequest.self, from: request)
                let run = try await components.runs.startStatistics(body)
                return try AdminReply.json(run, status: .created, created: ["run": run.id])
            }
        case .createDeployment:
            return { request, _ in
                let body = try await RequestBody.json(CreateDeploymentRequest.self, from: request)
                let deployment =
                    body.mode == nil
                    ? try await components.rollouts.create(body) : try await components.experiments.create(body)
                return try AdminReply.json(deployment, status: .created, created: ["deployment": deployment.id])
            }
        case .showDeployment:
            return { _, context in
                let id = try context.parameters.require("id")
                return try AdminReply.json(
                    Experiments.isExperiment(id)
                        ? try await components.experiments.info(id: id) : try await components.rollouts.info(id: id))
            }
        case .listDeploymentEvents:
            return { _, context in
                let id = try context.parameters.require("id")
                return try AdminReply.json(
                    Experiments.isExperiment(id)
                        ? try await components.experiments.events(id: id) : try await components.rollouts.events(id: id)
                )
            }
        case .steerDeployment:
            return { request, context in
                let (action, id) = (try context.parameters.require("action"), try context.parameters.require("id"))
                guard Experiments.isExperiment(id) else {
                    return try AdminReply.json(try await components.rollouts.act(action, id: id))
                }
                let promotion =
                    action == "promote" ? try await RequestBody.optionalJSON(PromoteRequest.self, from: request) : nil
                return try AdminReply.json(
                    try await components.experiments.act(action, id: id, promotion: promotion ?? PromoteRequest()))
            }
        case .setMonitorRule:
            return { request, _ in
                let body = try await RequestBody.json(SetMonitorRuleRequest.self, from: request)
                let rule = try await components.monitorRules.set(body)
                return try AdminReply.json(
                    rule, status: .created, created: ["monitor-rule": "\(body.model)/\(body.name)"])
            }
        case .listMonitorRules:
            return { _, _ in try AdminReply.json(MonitorRuleList(rules: try await components.monitorRules.rules())) }
        case .listMonitorAlerts:
            return { _, _ in
                try AdminReply.json(MonitorAlertList(alerts: try await components.monitorRules.alerts()))
            }
        case .setRefinement:
            return { request, _ in
                let body = try await RequestBody.json(RefinementSettings.self, from: request)
                return try AdminReply.json(try await components.refinement.configure(body))
            }
        case .readAudit:
            return { request, _ in
                let query = try AuditLog.query(of: request)
                return try AdminReply.json(try await components.audit.events(since: query.since, limit: query.limit))
            }
        }
    }
}

/// `GET …/models/{name}/versions/{v}/weights[?format=fp32|int8]` on either listener: the artifact of
/// that format (default fp32) and its digest; an unknown format is 400 `invalid_format`. A `Range`
/// header asks for part of it, so devices resume interrupted downloads (see
/// ``JSONResponse/artifact(_:sha256:range:)``).
enum WeightsHandler {
    static func answer(
        _ request: Request, _ context: AggregatorRequestContext, catalog: ModelCatalog
    ) async throws -> Response {
        let name = try context.parameters.require("name")
        let version = try context.parameters.require("version", as: Int.self)
        let format = try Self.format(request)
        let record = try await catalog.version(of: name, version)
        return JSONResponse.artifact(
            try catalog.artifact(record, format: format), sha256: record.artifact(format).sha256,
            range: request.headers[.range])
    }

    private static func format(_ request: Request) throws(APIError) -> ArtifactFormat {
        guard let text = request.uri.queryParameters.get(ArtifactFormat.queryName) else { return .fp32 }
        guard let format = ArtifactFormat(rawValue: text) else {
            let known = ArtifactFormat.allCases.map(\.rawValue).joined(separator: ", ")
            throw .badRequest(.invalidFormat, "the weights format '\(text)' is not one of \(known)")
        }
        return format
    }
}
