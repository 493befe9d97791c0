import StarlingCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// An admin's request to collect a feature profile from the fleet (federated analytics): each
/// device summarises its training samples, and the summaries are summed, under SecAgg+ by default.
public struct CollectStatisticsRequest: Codable, Sendable {
    /// The profile's name; a collection under an existing name makes its next version.
    public var name: String
    /// Feature width; or give `featuresFrom`.
    public var width: Int?
    /// A model whose input width the profile describes.
    public var featuresFrom: String?
    /// Which devices take part; default all.
    public var selector: DeviceSelector?
    /// Devices asked; default every eligible device up to 1,000.
    public var clients: Int?
    /// The fewest devices whose statistics make a profile; never below the aggregator's floor, since
    /// a small cohort would reveal individual devices.
    public var minDevices: Int?
    /// Seconds the devices have; default the aggregator's round deadline.
    public var deadlineSeconds: Double?
    /// Sum the statistics by SecAgg+ so the aggregator sees only fleet totals; default true.
    public var secureAggregation: Bool?
    public var seed: UInt64?

    public init(
        name: String, width: Int? = nil, featuresFrom: String? = nil, selector: DeviceSelector? = nil,
        clients: Int? = nil, minDevices: Int? = nil, deadlineSeconds: Double? = nil, secureAggregation: Bool? = nil,
        seed: UInt64? = nil
    ) {
        self.name = name
        self.width = width
        self.featuresFrom = featuresFrom
        self.selector = selector
        self.clients = clients
        self.minDevices = minDevices
        self.deadlineSeconds = deadlineSeconds
        self.secureAggregation = secureAggregation
        self.seed = seed
    }
}

/// What a device summarises for a statistics task: its training samples of this width, on this
/// histogram grid (``FeatureStatistics``).
public struct StatisticsTask: Codable, Sendable, Equatable {
    public var width: Int
    public var grid: LogBucketGrid

    public init(width: Int, grid: LogBucketGrid) {
        self.width = width
        self.grid = grid
    }
}

/// One version of a feature profile as the registry lists it.
public struct ProfileSummary: Codable, Sendable, Equatable {
    public var name: String
    public var version: Int
    public var width: Int
    public var devices: Int
    public var samples: Int
    /// The statistics run that collected it.
    public var runId: String
    public var secureAggregation: Bool
    public var createdAt: Date

    public init(
        name: String, version: Int, width: Int, devices: Int, samples: Int, runId: String, secureAggregation: Bool,
        createdAt: Date
    ) {
        self.name = name
        self.version = version
        self.width = width
        self.devices = devices
        self.samples = samples
        self.runId = runId
        self.secureAggregation = secureAggregation
        self.createdAt = createdAt
    }
}

/// The admin API's profile listing.
public struct ProfileList: Codable, Sendable {
    public var profiles: [ProfileSummary]

    public init(profiles: [ProfileSummary]) { self.profiles = profiles }
}
