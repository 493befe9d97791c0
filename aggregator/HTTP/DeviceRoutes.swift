import Hummingbird
import StarlingProtocol

/// The device listener (mutual TLS): every route runs behind ``DeviceIdentityMiddleware``, so the
/// device id always comes from the client certificate, never from the request.
enum DeviceRoutes {
    static func router(_ components: Components) -> Router<AggregatorRequestContext> {
        let router = Router(context: AggregatorRequestContext.self)
        router.middlewares.add(ErrorBodyMiddleware())
        router.middlewares.add(DeviceIdentityMiddleware(devices: components.devices))
        router.post(RouterPath(APIPath.deviceWatch)) { request, context in
            let body = try await RequestBody.json(WatchRequest.self, from: request)
            return try JSONResponse.make(try await components.desiredStates.watch(body, device: try context.requireDevice()))
        }
        router.get("v1/device/models/:name/versions/:version/weights") { request, context in
            try await WeightsHandler.answer(request, context, catalog: components.catalog)
        }
        router.post("v1/device/rounds/:id/iterations/:n/update") { request, context in
            try await update(request, context, components)
        }
        router.post("v1/device/rounds/:id/iterations/:n/secagg/:stage") { request, context in
            try await SecureAggregationRoutes.receive(request, context, rounds: components.rounds)
        }
        router.get("v1/device/rounds/:id/iterations/:n/secagg/:stage") { request, context in
            try await SecureAggregationRoutes.reply(request, context, rounds: components.rounds)
        }
        router.post("v1/device/deployments/:id/report") { request, context in
            let body = try await RequestBody.json(DeploymentReport.self, from: request)
            let info = try await components.rollouts.report(
                body, deploymentID: try context.parameters.require("id"), device: try context.requireDevice().id)
            return try JSONResponse.make(info)
        }
        router.post(RouterPath(APIPath.refine)) { request, _ in
            try await RefineHandler.answer(request, refinement: components.refinement)
        }
        return router
    }

    /// Admission (round, cohort, open, duplicate) first, then the body's validation, then storage.
    private static func update(
        _ request: Request, _ context: AggregatorRequestContext, _ components: Components
    ) async throws -> Response {
        let device = try context.requireDevice().id
        let roundID = try context.parameters.require("id")
        let iteration = try context.parameters.require("n", as: Int.self)
        let architecture = try await components.rounds.admit(roundId: roundID, iteration: iteration, device: device)
        let bytes = try await RequestBody.bytes(of: request, limit: BodyLimit.modelArtifact)
        let update = try UpdateValidator.validate(bytes, architecture: architecture)
        let receipt = try await components.rounds.submit(
            roundId: roundID, iteration: iteration, device: device, bytes: bytes, update: update)
        return try JSONResponse.make(receipt)
    }
}
