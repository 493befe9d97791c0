import Foundation
import StarlingProtocol

/// The settings of one demo run: which data, how many agents and rounds, and the training knobs.
public struct DemoOptions: Sendable {
    public var data: URL
    public var labelColumn: String
    public var agents: Int
    public var rounds: Int
    public var architecture: String
    /// Local training settings; nil uses the defaults of `starling run start` (``RoundDefaults``).
    public var localEpochs: Int?
    public var learningRate: Double?
    public var batchSize: Int?
    public var seed: UInt64
    /// Where the aggregator and agents keep their data; a fresh temporary folder when nil.
    public var workDirectory: URL?
    /// Keep the work folder afterwards (it is removed otherwise).
    public var keep: Bool
    /// Differential privacy for the run; none when nil.
    public var privacy: PrivacyRequest?
    /// How many aggregator processes: more than one share a PostgreSQL database behind HAProxy, and
    /// the leading one is killed after the first round to show a takeover.
    public var replicas: Int
    /// The PostgreSQL database of replicas; a throw-away server in a temporary folder when nil.
    public var database: String?

    public init(
        data: URL, labelColumn: String, agents: Int, rounds: Int, architecture: String,
        localEpochs: Int? = nil, learningRate: Double? = nil, batchSize: Int? = nil, seed: UInt64 = 7,
        workDirectory: URL? = nil, keep: Bool = false, privacy: PrivacyRequest? = nil, replicas: Int = 1,
        database: String? = nil
    ) {
        self.replicas = replicas
        self.database = database
        self.data = data
        self.labelColumn = labelColumn
        self.agents = agents
        self.rounds = rounds
        self.architecture = architecture
        self.localEpochs = localEpochs
        self.learningRate = learningRate
        self.batchSize = batchSize
        self.seed = seed
        self.workDirectory = workDirectory
        self.keep = keep
        self.privacy = privacy
    }
}

/// The demo's closing figures, printed as one JSON line.
public struct DemoReport: Codable, Sendable, Equatable {
    public var rounds: Int
    /// Held-out accuracy of the final federated model.
    public var finalAccuracy: Double
    /// Held-out accuracy of the same architecture trained centrally on the devices' training rows,
    /// so the federated figure can be judged.
    public var centralisedAccuracy: Double
    /// Share of the predictions served through the agents that went to phase two.
    public var phase2Rate: Double
    /// Held-out accuracy of the answers the agents served (phase one or two).
    public var servedAccuracy: Double
    /// Share of the served answers flagged degraded.
    public var degradedRate: Double
    public var agents: Int
    public var finalVersion: Int
}
