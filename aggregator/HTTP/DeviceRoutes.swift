import Hummingbird
import StarlingProtocol

/// The device listener (mutual TLS): every route runs behind ``DeviceIdentityMiddleware``, so the
/// device id always comes from the client certificate, never from the request.
enum DeviceRoutes {
    static func router(_ components: Components) -> Router<AggregatorRequestContext> {
        let router = Router(context: AggregatorRequestContext.self)
        router.middlewares.add(HTTPMetricsMiddleware(metrics: components.metrics, listener: .device))
        router.middlewares.add(ErrorBodyMiddleware())
        router.middlewares.add(MethodMiddleware())
        router.middlewares.add(DeviceIdentityMiddleware(devices: components.devices))
        router.post(RouterPath(APIPath.deviceWatch)) { request, context in
            let body = try await RequestBody.json(WatchRequest.self, from: request)
            return try JSONResponse.make(
                try await components.desiredStates.watch(body, device: try context.requireDevice()))
        }
        router.post(RouterPath(APIPath.deviceMonitor)) { request, context in
            let body = try await RequestBody.json(MonitorUpload.self, from: request)
            return try JSONResponse.make(
                try await components.monitoring.upload(body, device: try context.requireDevice().id))
        }
        router.get("v1/device/models/:name/versions/:version/weights") { request, context in
            try await WeightsHandler.answer(request, context, catalog: components.catalog)
        }
        router.post("v1/device/runs/:id/rounds/:n/update") { request, context in
            try await components.metrics.counting(.update) { try await update(request, context, components) }
        }
        router.post("v1/device/runs/:id/rounds/:n/evaluation") { request, context in
            try await components.metrics.counting(.evaluation) { try await evaluation(request, context, components) }
        }
        router.post("v1/device/runs/:id/rounds/:n/statistics") { request, context in
            try await components.metrics.counting(.statistics) { try await statistics(request, context, components) }
        }
        router.post("v1/device/runs/:id/rounds/:n/failure") { request, context in
            let (device, runID, round) = try location(context)
            let report = try await RequestBody.json(ClientFailureReport.self, from: request)
            try await components.runs.clientFailed(runId: runID, round: round, device: device, report: report)
            return try JSONResponse.make(UpdateReceipt(runId: runID, round: round, accepted: true))
        }
        router.post("v1/device/runs/:id/rounds/:n/secagg/:stage") { request, context in
            try await SecureAggregationRoutes.receive(
                request, context, runs: components.runs, held: components.heldRequests, metrics: components.metrics)
        }
        router.get("v1/device/runs/:id/rounds/:n/secagg/:stage") { request, context in
            try await SecureAggregationRoutes.reply(
                request, context, runs: components.runs, held: components.heldRequests)
        }
        router.post("v1/device/deployments/:id/report") { request, context in
            let body = try await RequestBody.json(DeploymentReport.self, from: request)
            let info = try await components.rollouts.report(
                body, deploymentID: try context.parameters.require("id"), device: try context.requireDevice().id)
            return try JSONResponse.make(info)
        }
        router.post(RouterPath(APIPath.refine)) { request, _ in
            try await RefineHandler.answer(request, refinement: components.refinement, metrics: components.metrics)
        }
        return router
    }

    /// Admission (round, cohort, open, duplicate) first, then the body's validation, then storage.
    private static func update(
        _ request: Request, _ context: AggregatorRequestContext, _ components: Components
    ) async throws -> Response {
        let (device, runID, round) = try location(context)
        let target = try await components.runs.admit(
            runId: runID, round: round, device: device, kind: .train)
        guard let architecture = target.architecture else { throw APIError.internal("a training round has no model") }
        let bytes = try await RequestBody.bytes(of: request, limit: BodyLimit.modelArtifact)
        let update = try UpdateValidator.validate(bytes, architecture: architecture)
        let receipt = try await components.runs.submit(
            runId: runID, round: round, device: device, kind: .train, bytes: bytes,
            samples: update.trainSamples, update: update)
        return try JSONResponse.make(receipt)
    }

    /// A plain evaluation's figures (JSON), checked against the model's classes.
    private static func evaluation(
        _ request: Request, _ context: AggregatorRequestContext, _ components: Components
    ) async throws -> Response {
        let (device, runID, round) = try location(context)
        let target = try await components.runs.admit(
            runId: runID, round: round, device: device, kind: .evaluate)
        let bytes = try await RequestBody.bytes(of: request, limit: BodyLimit.json)
        let figures = try EvaluationUpload.decode(bytes, classes: target.architecture?.outputSize ?? 0)
        let receipt = try await components.runs.submit(
            runId: runID, round: round, device: device, kind: .evaluate, bytes: bytes,
            samples: figures.samples)
        return try JSONResponse.make(receipt)
    }

    /// A plain statistics upload (safetensors), checked against the collection's width and grid.
    private static func statistics(
        _ request: Request, _ context: AggregatorRequestContext, _ components: Components
    ) async throws -> Response {
        let (device, runID, round) = try location(context)
        let target = try await components.runs.admit(
            runId: runID, round: round, device: device, kind: .statistics)
        guard let plan = target.statistics else { throw APIError.internal("a statistics round has no statistics plan") }
        let bytes = try await RequestBody.bytes(of: request, limit: BodyLimit.modelArtifact)
        let statistics = try StatisticsUpload.decode(bytes, width: plan.width, grid: plan.grid)
        let receipt = try await components.runs.submit(
            runId: runID, round: round, device: device, kind: .statistics, bytes: bytes,
            samples: statistics.rows)
        return try JSONResponse.make(receipt)
    }

    /// The device (from its certificate), the round and the round a request is about.
    private static func location(_ context: AggregatorRequestContext) throws -> (String, String, Int) {
        (
            try context.requireDevice().id, try context.parameters.require("id"),
            try context.parameters.require("n", as: Int.self)
        )
    }
}
