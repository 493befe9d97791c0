#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A movable name for one version of a model (`production`, `candidate`, …), so operators and
/// deployments can say "whatever production is" and ship a new version by moving the name.
public struct ModelAlias: Codable, Sendable, Equatable {
    public var model: String
    public var alias: String
    public var version: Int
    public var updatedAt: Date

    public init(model: String, alias: String, version: Int, updatedAt: Date) {
        self.model = model
        self.alias = alias
        self.version = version
        self.updatedAt = updatedAt
    }
}

/// The body of `PUT /v1/admin/models/{name}/aliases/{alias}`.
public struct SetAliasRequest: Codable, Sendable {
    public var version: Int

    public init(version: Int) { self.version = version }
}

/// A model's aliases, by name.
public struct AliasList: Codable, Sendable, Equatable {
    public var aliases: [ModelAlias]

    public init(aliases: [ModelAlias]) { self.aliases = aliases }
}
