#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Where the agent keeps its files inside its data directory, named in one place so the daemon,
/// `ingest` and tests agree.
public struct AgentPaths: Sendable {
    /// The data directory (`--data-dir`).
    public let root: URL

    public init(dataDirectory: URL) { root = dataDirectory }

    var identityDirectory: URL { root.appendingPathComponent("identity") }
    /// The device's private key (mode 0600).
    var privateKey: URL { identityDirectory.appendingPathComponent("device.key") }
    var certificate: URL { identityDirectory.appendingPathComponent("device.crt") }
    var caCertificate: URL { identityDirectory.appendingPathComponent("ca.crt") }
    /// Device id, device URL and signing key; written last, so its presence means "enrolled".
    var identityRecord: URL { identityDirectory.appendingPathComponent("device.json") }
    var database: URL { root.appendingPathComponent("agent.sqlite") }
    /// The artifacts of both model slots, named by their SHA-256 (see ``ModelFiles``).
    var models: URL { root.appendingPathComponent("models") }
    /// The int8 artifacts of the experiment's candidates, apart from the model slots'.
    var experiments: URL { root.appendingPathComponent("experiments") }
    var agentInfo: URL { root.appendingPathComponent("agent.json") }
}
