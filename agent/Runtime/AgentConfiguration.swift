import StarlingProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Everything `starling-agent run` is told on its command line.
public struct AgentConfiguration: Sendable {
    /// The aggregator's public URL, used only to enroll.
    public var aggregatorURL: String
    /// The CA certificate the aggregator's public listener is checked against at enrollment.
    public var caFile: URL
    /// Where the enrollment token is; read only on the first run, before the device has an identity.
    public var enrollToken: EnrollmentTokenSource?
    public var dataDirectory: URL
    public var apiHost: String
    /// 0 lets the system choose.
    public var apiPort: Int
    public var socketPath: String?
    public var tags: [Tag]
    public var refineTimeout: Duration
    /// Seeds the reconnect jitter; random when nil.
    public var seed: UInt64?
    /// The lifetime (ε, δ) private training may spend; unlimited when nil.
    public var privacyBudget: PrivacyBudget?
    /// How predictions are kept for feedback and monitored.
    public var monitoring: MonitorSettings

    public init(
        aggregatorURL: String, caFile: URL, enrollToken: EnrollmentTokenSource?, dataDirectory: URL, apiHost: String,
        apiPort: Int,
        socketPath: String?, tags: [Tag], refineTimeout: Duration, seed: UInt64?, privacyBudget: PrivacyBudget? = nil,
        monitoring: MonitorSettings = MonitorSettings()
    ) {
        self.aggregatorURL = aggregatorURL
        self.caFile = caFile
        self.enrollToken = enrollToken
        self.dataDirectory = dataDirectory
        self.apiHost = apiHost
        self.apiPort = apiPort
        self.socketPath = socketPath
        self.tags = tags
        self.refineTimeout = refineTimeout
        self.seed = seed
        self.privacyBudget = privacyBudget
        self.monitoring = monitoring
    }
}
