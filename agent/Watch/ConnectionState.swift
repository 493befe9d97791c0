import Synchronization

/// Whether the agent's last call to the aggregator's watch succeeded; shown in the local status.
public final class ConnectionState: Sendable {
    private let connected = Mutex(false)

    public init() {}

    public var isConnected: Bool { connected.withLock { $0 } }

    func set(_ value: Bool) {
        connected.withLock { $0 = value }
    }
}
