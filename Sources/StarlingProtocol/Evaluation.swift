#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// An admin's request to evaluate a version on the devices' held-out samples, without training.
public struct EvaluateRequest: Codable, Sendable {
    public var model: String
    /// The version to evaluate; default the newest.
    public var version: Int?
    /// Which devices take part; default all.
    public var selector: DeviceSelector?
    /// Devices asked; default every eligible device up to 100.
    public var clients: Int?
    /// The fewest devices whose figures make a result; default 1 (3 with secure aggregation).
    public var minClients: Int?
    /// Seconds the devices have; default the aggregator's round deadline.
    public var deadlineSeconds: Double?
    /// Combine the figures by SecAgg+ so the aggregator sees only fleet totals; default true.
    public var secureAggregation: Bool?
    public var seed: UInt64?

    public init(
        model: String, version: Int? = nil, selector: DeviceSelector? = nil, clients: Int? = nil,
        minClients: Int? = nil, deadlineSeconds: Double? = nil, secureAggregation: Bool? = nil, seed: UInt64? = nil
    ) {
        self.model = model
        self.version = version
        self.selector = selector
        self.clients = clients
        self.minClients = minClients
        self.deadlineSeconds = deadlineSeconds
        self.secureAggregation = secureAggregation
        self.seed = seed
    }
}

/// A version's federated evaluation: figures over the held-out samples of the devices that took
/// part, kept with the version.
public struct FederatedEvaluation: Codable, Sendable, Equatable {
    public var model: String
    public var version: Int
    /// The run that measured it.
    public var runId: String
    public var devices: Int
    public var figures: EvaluationFigures
    public var secureAggregation: Bool
    public var createdAt: Date

    public init(
        model: String, version: Int, runId: String, devices: Int, figures: EvaluationFigures,
        secureAggregation: Bool, createdAt: Date
    ) {
        self.model = model
        self.version = version
        self.runId = runId
        self.devices = devices
        self.figures = figures
        self.secureAggregation = secureAggregation
        self.createdAt = createdAt
    }
}
