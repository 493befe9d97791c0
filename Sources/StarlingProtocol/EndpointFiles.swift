/// `DIR/aggregator.json`, written atomically by a running aggregator once both listeners are bound,
/// so the CLI, scripts and tests on the same machine can find it.
public struct AggregatorEndpoints: Codable, Sendable, Equatable {
    /// The public listener: health, enrollment, refinement, admin API.
    public var url: String
    /// The mutual-TLS device listener.
    public var deviceUrl: String
    /// The plain-HTTP metrics listener, when the aggregator runs one (`--metrics-listen`).
    public var metricsUrl: String?
    /// Path of the CA certificate that signs both listeners' certificates.
    public var caCertificate: String
    public var pid: Int32

    public init(url: String, deviceUrl: String, metricsUrl: String? = nil, caCertificate: String, pid: Int32) {
        self.url = url
        self.deviceUrl = deviceUrl
        self.metricsUrl = metricsUrl
        self.caCertificate = caCertificate
        self.pid = pid
    }
}

/// `DIR/agent.json`, written atomically by a running agent once its local API is bound.
public struct AgentEndpoints: Codable, Sendable, Equatable {
    /// `http://127.0.0.1:PORT` of the local API.
    public var apiUrl: String
    public var deviceId: String
    /// The Unix socket of the local API, when the agent listens on one.
    public var socketPath: String?

    public init(apiUrl: String, deviceId: String, socketPath: String?) {
        self.apiUrl = apiUrl
        self.deviceId = deviceId
        self.socketPath = socketPath
    }
}
