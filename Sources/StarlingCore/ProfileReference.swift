/// Names the feature profile a model's preprocessing was chosen from.
///
/// Exists so a model records which fleet statistics its inputs were scaled by: drift detection
/// compares live inputs against that profile, and an operator can see why a transform was chosen.
public struct ProfileReference: Codable, Sendable, Equatable, Hashable {
    /// The profile's name.
    public var name: String
    /// The profile's version under that name.
    public var version: Int

    public init(name: String, version: Int) {
        self.name = name
        self.version = version
    }
}
