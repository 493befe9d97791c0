import Hummingbird
import StarlingProtocol

/// The admin API under `/v1/admin` (bearer token checked by ``BearerAuthMiddleware``).
enum AdminRoutes {
    static func add(to group: RouterGroup<AggregatorRequestContext>, _ components: Components) {
        group.post("enrollment-tokens") { request, _ in
            let body = try await RequestBody.json(CreateEnrollmentTokenRequest.self, from: request)
            return try JSONResponse.make(try await components.enrollment.createToken(body), status: .created)
        }
        group.get("devices") { _, _ in try JSONResponse.make(components.devices.list()) }
        addModels(to: group, components)
        group.post("rounds") { request, _ in
            let body = try await RequestBody.json(StartRoundRequest.self, from: request)
            return try JSONResponse.make(try await components.rounds.start(body), status: .created)
        }
        group.get("rounds/:id") { _, context in
            try JSONResponse.make(try await components.roundStore.info(id: try context.parameters.require("id")))
        }
        group.post("evaluations") { request, _ in
            let body = try await RequestBody.json(EvaluateRequest.self, from: request)
            return try JSONResponse.make(try await components.rounds.startEvaluation(body), status: .created)
        }
        addProfiles(to: group, components)
        group.post("deployments") { request, _ in
            let body = try await RequestBody.json(CreateDeploymentRequest.self, from: request)
            return try JSONResponse.make(try await components.rollouts.create(body), status: .created)
        }
        group.get("deployments/:id") { _, context in
            try JSONResponse.make(try await components.rollouts.info(id: try context.parameters.require("id")))
        }
        group.get("deployments/:id/events") { _, context in
            try JSONResponse.make(try await components.rollouts.events(id: try context.parameters.require("id")))
        }
        group.post("deployments/:id/:action") { _, context in
            let info = try await components.rollouts.act(
                try context.parameters.require("action"), id: try context.parameters.require("id"))
            return try JSONResponse.make(info)
        }
        group.put("refinement") { request, _ in
            let body = try await RequestBody.json(RefinementSettings.self, from: request)
            return try JSONResponse.make(try await components.refinement.configure(body))
        }
    }

    private static func addProfiles(to group: RouterGroup<AggregatorRequestContext>, _ components: Components) {
        group.post("profiles") { request, _ in
            let body = try await RequestBody.json(CollectStatisticsRequest.self, from: request)
            return try JSONResponse.make(try await components.rounds.startStatistics(body), status: .created)
        }
        group.get("profiles") { _, _ in try JSONResponse.make(try await components.profiles.list()) }
        group.get("profiles/:name") { request, context in
            let version = try request.uri.queryParameters.get("version").map { text throws(APIError) in
                guard let version = Int(text), version >= 1 else {
                    throw APIError.badRequest("invalid_version", "version must be a positive integer, not '\(text)'")
                }
                return version
            }
            let profile = try await components.profiles.profile(try context.parameters.require("name"), version: version)
            return try JSONResponse.make(profile)
        }
    }

    private static func addModels(to group: RouterGroup<AggregatorRequestContext>, _ components: Components) {
        group.post("models") { request, _ in
            let body = try await RequestBody.json(CreateModelRequest.self, from: request)
            return try JSONResponse.make(try await components.registry.create(body), status: .created)
        }
        group.post("models/import") { request, _ in
            let bytes = try await RequestBody.bytes(of: request, limit: BodyLimit.modelArtifact)
            let name = request.uri.queryParameters.get("name")
            return try JSONResponse.make(try await components.registry.importBundle(bytes, name: name), status: .created)
        }
        group.get("models") { _, _ in try JSONResponse.make(try await components.catalog.models()) }
        group.get("models/:name/versions") { _, context in
            let model = try context.parameters.require("name")
            var list = try await components.catalog.versions(of: model)
            let evaluations = try await components.evaluations.latest(model: model)
            for index in list.versions.indices {
                list.versions[index].evaluation = evaluations[list.versions[index].version]
            }
            return try JSONResponse.make(list)
        }
        group.get("models/:name/versions/:version/weights") { request, context in
            try await WeightsHandler.answer(request, context, catalog: components.catalog)
        }
        group.get("models/:name/aliases") { _, context in
            try JSONResponse.make(try await components.aliases.list(model: try context.parameters.require("name")))
        }
        group.put("models/:name/aliases/:alias") { request, context in
            let body = try await RequestBody.json(SetAliasRequest.self, from: request)
            let alias = try await components.aliases.set(
                model: try context.parameters.require("name"), alias: try context.parameters.require("alias"),
                version: body.version)
            try await components.rollouts.aliasMoved(model: alias.model, alias: alias.alias, to: alias.version)
            return try JSONResponse.make(alias)
        }
        group.delete("models/:name/aliases/:alias") { _, context in
            let model = try context.parameters.require("name")
            try await components.aliases.delete(model: model, alias: try context.parameters.require("alias"))
            return try JSONResponse.make(try await components.aliases.list(model: model))
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
            throw .badRequest("invalid_format", "the weights format '\(text)' is not one of \(known)")
        }
        return format
    }
}
