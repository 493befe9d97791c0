public import Foundation
public import StarlingCore
public import StarlingTransport

/// How to run an aggregator: where its data lives, where it listens, and round defaults.
public struct AggregatorConfiguration: Sendable {
    public var dataDirectory: URL
    /// The PostgreSQL database (`postgres://user[:password]@host[:port]/database[?schema=name]`)
    /// that replicas share; nil keeps the SQLite file in the data folder.
    public var databaseURL: String?
    public var listen: ListenAddress
    /// Default: the same host, the next port (or a system-chosen port when `listen` uses 0).
    public var deviceListen: ListenAddress
    /// Where to serve `GET /metrics` over plain HTTP without authentication; nil for nowhere.
    public var metricsListen: ListenAddress?
    /// Seconds a round waits for clients and updates when its request names none.
    public var defaultRoundDeadline: TimeInterval
    /// How often the round coordinator checks deadlines and eligible devices.
    public var coordinatorTick: Duration
    /// The fewest devices a feature-statistics collection may summarise: fewer would let the fleet
    /// totals reveal individual devices' data.
    public var minimumStatisticsDevices: Int
    /// The largest model the registry creates or imports; larger ones are refused before anything
    /// is allocated for them.
    public var modelSizeLimit: ModelSizeLimit
    /// Deadlines and the connection cap of the public and metrics listeners; by default the cap is
    /// an equal share of the descriptor limit among the listeners configured, at most 4,096.
    public var connectionLimits: ConnectionLimits
    /// The same for the device listener, whose cap may go up to what the other listeners leave of
    /// the descriptor limit (``ConnectionLimits/deviceListenerBudget(otherListeners:)``).
    public var deviceConnectionLimits: ConnectionLimits
    /// Whether the device listener offers HTTP/2 beside HTTP/1.1 (``DeviceListenerChannel``): one
    /// connection a device and less memory, at more CPU a request.
    public var deviceHTTP2: Bool
    /// Where monitor alerts are posted as JSON (`http://` or `https://`); nil records them only.
    public var alertWebhook: String?
    /// How often the monitor rules are judged.
    public var monitorRuleInterval: Duration
    /// When devices' monitor windows are added up under SecAgg+, from how many devices running a
    /// version (under `auto`), and how often.
    public var monitorAggregation: MonitorAggregation
    public var secureMonitorMinimumDevices: Int
    public var secureMonitorInterval: Duration
    /// Among replicas on PostgreSQL: how long a leader may send nothing to the database before the
    /// server ends its session and another replica takes the lead (it pings five times as often).
    public var leaderIdleTimeout: Duration
    /// The device URL enrollment hands out when it is not this process's device listener (a load
    /// balancer in front of replicas).
    public var advertisedDeviceURL: String?
    /// Among replicas: the URL the others send leader-only admin calls to when this process leads,
    /// when it is not this process's public listener as bound (replicas on other hosts, a listener
    /// bound to every address).
    public var advertisedPublicURL: String?

    public init(
        dataDirectory: URL, listen: ListenAddress, deviceListen: ListenAddress? = nil,
        metricsListen: ListenAddress? = nil, defaultRoundDeadline: TimeInterval = 120,
        coordinatorTick: Duration = .milliseconds(200), minimumStatisticsDevices: Int = 3,
        modelSizeLimit: ModelSizeLimit = .standard, connectionLimits: ConnectionLimits? = nil,
        alertWebhook: String? = nil, monitorRuleInterval: Duration = .seconds(60),
        monitorAggregation: MonitorAggregation = .auto, secureMonitorMinimumDevices: Int = 20,
        secureMonitorInterval: Duration = .seconds(300), databaseURL: String? = nil,
        leaderIdleTimeout: Duration = .seconds(5), advertisedDeviceURL: String? = nil,
        advertisedPublicURL: String? = nil,
        deviceHTTP2: Bool = false
    ) {
        self.deviceHTTP2 = deviceHTTP2
        self.advertisedPublicURL = advertisedPublicURL
        self.advertisedDeviceURL = advertisedDeviceURL
        self.databaseURL = databaseURL
        self.leaderIdleTimeout = leaderIdleTimeout
        self.monitorAggregation = monitorAggregation
        self.secureMonitorMinimumDevices = secureMonitorMinimumDevices
        self.secureMonitorInterval = secureMonitorInterval
        self.alertWebhook = alertWebhook
        self.monitorRuleInterval = monitorRuleInterval
        self.dataDirectory = dataDirectory
        self.listen = listen
        self.deviceListen = deviceListen ?? listen.with(port: listen.port == 0 ? 0 : listen.port + 1)
        self.metricsListen = metricsListen
        self.defaultRoundDeadline = defaultRoundDeadline
        self.coordinatorTick = coordinatorTick
        self.minimumStatisticsDevices = minimumStatisticsDevices
        self.modelSizeLimit = modelSizeLimit
        // An asked cap above the descriptor budget would let connections take the last descriptors
        // the process needs to run: it is lowered to the budget, which for the device listener is
        // what the other listeners leave at their default caps.
        let listeners = metricsListen == nil ? 2 : 3
        let standard = ConnectionLimits.standard(
            maximumConnections: ConnectionLimits.defaultMaximumConnections(listeners: listeners))
        self.connectionLimits = connectionLimits?.keeping(within: standard.maximumConnections) ?? standard
        self.deviceConnectionLimits =
            connectionLimits?.keeping(
                within: ConnectionLimits.deviceListenerBudget(otherListeners: listeners - 1)) ?? standard
    }
}

extension AggregatorConfiguration {
    /// The hosts a new server certificate names besides loopback: the listeners' and those of the
    /// advertised device and public URLs, so that devices and other replicas verify it at the names
    /// they are given.
    var certificateHosts: [String] {
        let advertised = [advertisedDeviceURL, advertisedPublicURL].compactMap { url in
            url.flatMap { URLComponents(string: $0)?.host }
        }
        return [listen.host, deviceListen.host] + advertised
    }
}
