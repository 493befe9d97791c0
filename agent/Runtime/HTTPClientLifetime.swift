import ServiceLifecycle
import StarlingTransport

/// Keeps the device's HTTP client open while the agent runs and shuts it down at the end. Listed
/// first in the service group, so it stops after every service that uses the client.
struct HTTPClientLifetime: Service {
    let client: StarlingHTTPClient

    func run() async throws {
        try? await gracefulShutdown()
        await client.shutdown()
    }
}

extension HTTPClientLifetime: CustomStringConvertible {
    /// The name service-lifecycle logs for this service.
    var description: String { "http-client" }
}
