import Foundation
import Logging
import StarlingProtocol
import StarlingTransport

/// Learns the ports the listeners bound (public, device, and metrics when configured), then
/// atomically writes `DIR/aggregator.json` and announces the listening line; also tells enrollment
/// which device URL to hand out.
public actor EndpointAnnouncer {
    private let directory: DataDirectory
    private let publicHost: ListenAddress
    private let deviceHost: ListenAddress
    private let metricsHost: ListenAddress?
    private let advertisedDeviceURL: String?
    private let announce: @Sendable (String) -> Void
    private let logger: Logger
    private var publicPort: Int?
    private var devicePort: Int?
    private var metricsPort: Int?
    private var waiters: [CheckedContinuation<AggregatorEndpoints, Never>] = []
    private var endpoints: AggregatorEndpoints?

    init(
        directory: DataDirectory, publicHost: ListenAddress, deviceHost: ListenAddress, metricsHost: ListenAddress?,
        advertisedDeviceURL: String? = nil, announce: @escaping @Sendable (String) -> Void, logger: Logger
    ) {
        self.advertisedDeviceURL = advertisedDeviceURL
        self.directory = directory
        self.publicHost = publicHost
        self.deviceHost = deviceHost
        self.metricsHost = metricsHost
        self.announce = announce
        self.logger = logger
    }

    /// The endpoints once every listener is bound.
    public func bound() async -> AggregatorEndpoints {
        if let endpoints { return endpoints }
        return await withCheckedContinuation { waiters.append($0) }
    }

    /// The mutual-TLS URL devices are told to use: the advertised one, else the device listener's.
    func deviceURL() async -> String {
        if let advertisedDeviceURL { return advertisedDeviceURL }
        return await bound().deviceUrl
    }

    func publicListenerBound(port: Int) { publicPort = port; publishIfReady() }

    func deviceListenerBound(port: Int) { devicePort = port; publishIfReady() }

    func metricsListenerBound(port: Int) { metricsPort = port; publishIfReady() }

    private func publishIfReady() {
        guard endpoints == nil, let publicPort, let devicePort else { return }
        var metricsURL: String?
        if let metricsHost {
            guard let metricsPort else { return }
            metricsURL = metricsHost.with(port: metricsPort).httpURL
        }
        let endpoints = AggregatorEndpoints(
            url: publicHost.with(port: publicPort).httpsURL, deviceUrl: deviceHost.with(port: devicePort).httpsURL,
            metricsUrl: metricsURL, caCertificate: directory.caCertificate.path,
            pid: ProcessInfo.processInfo.processIdentifier)
        do {
            try AtomicFile.write(try StarlingJSON.line(endpoints) + "\n", to: directory.endpointFile)
        } catch {
            logger.error("cannot write the endpoint file", metadata: ["error": "\(error)"])
        }
        self.endpoints = endpoints
        announce(
            "starling-aggregator listening on \(endpoints.url) (devices: \(endpoints.deviceUrl))"
                + (metricsURL.map { " (metrics: \($0))" } ?? ""))
        for waiter in waiters { waiter.resume(returning: endpoints) }
        waiters.removeAll()
    }
}
