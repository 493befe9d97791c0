import StarlingProtocol
import StarlingTransport

/// An enrolled device driven by hand over mutual TLS: what tests use to speak the device protocol
/// without an agent, in-process and against real aggregator processes alike.
public struct TestDevice: Sendable {
    public let id: String
    /// The device's certificate and key, for clients other than `client`.
    public let identity: TLSIdentity
    public let client: StarlingHTTPClient

    public init(id: String, identity: TLSIdentity, client: StarlingHTTPClient) {
        self.id = id
        self.identity = identity
        self.client = client
    }

    /// A watch that answers at once unless `revision` is current: a heartbeat that also returns the
    /// desired state.
    public func watch(revision: String = "", sampleCount: Int = 100, wait: Double = 0) async throws -> DesiredState {
        try await client.post(
            APIPath.deviceWatch,
            json: WatchRequest(revision: revision, sampleCount: sampleCount, runningModel: nil, waitSeconds: wait),
            timeout: .seconds(60))
    }

    /// Long-polls until the desired state holds a round task.
    public func nextTask() async throws -> RoundTask {
        var state = try await watch()
        while state.rounds.isEmpty {
            state = try await watch(revision: state.revision, wait: 10)
        }
        return state.rounds[0]
    }
}
