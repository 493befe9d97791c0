import NIOCore
import Synchronization

/// The connections one listener holds, capped at ``ConnectionLimits/maximumConnections``: a
/// connection over the cap takes the place of the oldest one that has not sent a single request
/// head (that one is closed), or is refused when every connection has spoken. Honest clients send
/// their first head within milliseconds of connecting, so it is the silent ones that go; a client's
/// idle keep-alive connection is never taken (it ends at its idle deadline).
public final class ConnectionGate: Sendable {
    private struct State {
        var open: Set<ObjectIdentifier> = []
        /// Connections that have not sent a request head yet, by when they were admitted.
        var silent: [ObjectIdentifier: (since: NIODeadline, channel: any Channel)] = [:]
    }

    public let limits: ConnectionLimits
    private let state = Mutex(State())

    public init(limits: ConnectionLimits) {
        self.limits = limits
    }

    /// Admits `channel` as silent until its first request head; false when it must be closed.
    func admit(_ channel: any Channel) -> Bool {
        let id = ObjectIdentifier(channel)
        let outcome: (admitted: Bool, evicted: (any Channel)?) = state.withLock { state in
            var evicted: (any Channel)?
            if state.open.count >= limits.maximumConnections {
                guard let oldest = state.silent.min(by: { $0.value.since < $1.value.since }) else {
                    return (false, nil)
                }
                state.silent[oldest.key] = nil
                state.open.remove(oldest.key)
                evicted = oldest.value.channel
            }
            state.open.insert(id)
            state.silent[id] = (.now(), channel)
            return (true, evicted)
        }
        outcome.evicted?.close(promise: nil)
        return outcome.admitted
    }

    /// `channel` sent a request head: it is no longer silent.
    func spoke(_ channel: any Channel) {
        _ = state.withLock { $0.silent.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// `channel` closed.
    func release(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        state.withLock { state in
            state.open.remove(id)
            state.silent[id] = nil
        }
    }
}
