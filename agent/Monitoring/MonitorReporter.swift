import Logging
import ServiceLifecycle
import StarlingProtocol
import StarlingTransport

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Sends the device's closed monitor windows to the aggregator over mutual TLS, oldest first, a
/// few at a time within the aggregator's JSON body limit, every `interval`. A window the aggregator
/// takes, or refuses for good (400 or 404: a version it no longer has), is marked sent; one that
/// could not be sent (no connection) goes with the next report. While the aggregator asks for secure
/// aggregation (``MonitorUploadPolicy``) nothing is sent: the windows stay for monitor runs.
struct MonitorReporter: Service {
    /// Windows per upload at most; fewer when they are large.
    static let batch = 32
    /// Upload bodies stay below this, under the aggregator's 1 MiB JSON limit.
    static let maximumBody = 900_000

    let client: StarlingHTTPClient
    let store: AgentStore
    let policy: MonitorUploadPolicy
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            guard !Task.isShuttingDownGracefully else { break }
            guard policy.mode == .perDevice else { continue }
            do {
                try await report()
            } catch {
                logger.debug("monitor windows not sent; they go with the next report", metadata: ["reason": "\(error)"])
            }
        }
    }

    /// Sends every unsent window, a batch at a time.
    func report() async throws {
        while true {
            let unsent = try await store.unsentMonitorWindows(limit: Self.batch)
            guard !unsent.isEmpty else { return }
            var batch = unsent
            while batch.count > 1,
                (try StarlingJSON.encoder().encode(MonitorUpload(windows: batch.map(\.window)))).count
                    > Self.maximumBody
            {
                batch = Array(batch.prefix(batch.count / 2))
            }
            do {
                let _: MonitorUploadReceipt = try await client.post(
                    APIPath.deviceMonitor, json: MonitorUpload(windows: batch.map(\.window)), timeout: .seconds(30))
            } catch {
                guard let status = error.status, (400..<500).contains(status), status != 408, status != 429 else {
                    throw error
                }
                logger.warning(
                    "the aggregator refused monitor windows; they are dropped",
                    metadata: ["reason": "\(error)", "windows": "\(batch.count)"])
            }
            try await store.markMonitorWindowsSent(batch.map(\.id))
        }
    }
}

extension MonitorReporter: CustomStringConvertible {
    var description: String { "monitor-reporter" }
}
