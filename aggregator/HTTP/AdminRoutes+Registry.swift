import Hummingbird
import StarlingProtocol

/// The handlers of the registry's admin routes that take more than a line: models, versions,
/// aliases and feature profiles.
extension AdminRoutes {
    static func createModel(_ components: Components) -> AdminHandler {
        { request, _ in
            let body = try await RequestBody.json(CreateModelRequest.self, from: request)
            let version = try await components.registry.create(body)
            return try AdminReply.json(version, status: .created, created: ["model": version.model])
        }
    }

    static func importModel(_ components: Components) -> AdminHandler {
        { request, _ in
            let bytes = try await RequestBody.bytes(of: request, limit: BodyLimit.modelArtifact)
            let name = request.uri.queryParameters.get("name")
            let version = try await components.registry.importBundle(bytes, name: name)
            return try AdminReply.json(
                version, status: .created, created: ["model": version.model, "version": String(version.version)])
        }
    }

    /// A model's versions, each with its latest federated evaluation.
    static func listVersions(_ components: Components) -> AdminHandler {
        { _, context in
            let model = try context.parameters.require("name")
            var list = try await components.catalog.versions(of: model)
            let evaluations = try await components.evaluations.latest(model: model)
            for index in list.versions.indices {
                list.versions[index].evaluation = evaluations[list.versions[index].version]
            }
            return try AdminReply.json(list)
        }
    }

    /// Moves an alias, and rolls the new version out to the deployments that follow it.
    static func setAlias(_ components: Components) -> AdminHandler {
        { request, context in
            let body = try await RequestBody.json(SetAliasRequest.self, from: request)
            let alias = try await components.rollouts.moveAlias(
                model: try context.parameters.require("name"), alias: try context.parameters.require("alias"),
                to: body.version)
            return try AdminReply.json(alias)
        }
    }

    static func deleteAlias(_ components: Components) -> AdminHandler {
        { _, context in
            let model = try context.parameters.require("name")
            try await components.aliases.delete(model: model, alias: try context.parameters.require("alias"))
            return try AdminReply.json(try await components.aliases.list(model: model))
        }
    }

    /// A feature profile, its newest version unless `?version=` names one.
    static func showProfile(_ components: Components) -> AdminHandler {
        { request, context in
            let version = try request.uri.queryParameters.get("version").map { text throws(APIError) in
                guard let version = Int(text), version >= 1 else {
                    throw APIError.badRequest(.invalidVersion, "version must be a positive integer, not '\(text)'")
                }
                return version
            }
            let profile = try await components.profiles.profile(
                try context.parameters.require("name"), version: version)
            return try AdminReply.json(profile)
        }
    }
}
