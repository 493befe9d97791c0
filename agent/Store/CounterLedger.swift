import Logging
import ServiceLifecycle
import Synchronization

/// The agent's running totals, counted in memory on the hot path and written to the store in
/// batches, so a prediction never waits for a disk write. A crash loses at most one flush interval
/// of counts; a graceful shutdown loses none.
public final class CounterLedger: Sendable {
    private struct Totals {
        var persisted: [AgentCounter: Int]
        var pending: [AgentCounter: Int] = [:]
    }

    private let totals: Mutex<Totals>
    private let store: AgentStore

    /// Loads the persisted totals.
    public static func load(from store: AgentStore) async throws(AgentError) -> CounterLedger {
        CounterLedger(store: store, persisted: try await store.counters())
    }

    private init(store: AgentStore, persisted: [AgentCounter: Int]) {
        self.store = store
        self.totals = Mutex(Totals(persisted: persisted))
    }

    /// Adds to counters in memory.
    public func add(_ amounts: [AgentCounter: Int]) {
        totals.withLock { totals in
            for (counter, amount) in amounts where amount != 0 {
                totals.pending[counter, default: 0] += amount
            }
        }
    }

    /// Every counter's total, persisted or not.
    public func current() -> [AgentCounter: Int] {
        totals.withLock { totals in
            totals.persisted.merging(totals.pending, uniquingKeysWith: +)
        }
    }

    /// Writes the pending counts to the store; on failure they stay pending for the next flush.
    public func flush() async throws(AgentError) {
        let batch = totals.withLock { totals in
            let batch = totals.pending
            totals.pending = [:]
            return batch
        }
        guard !batch.isEmpty else { return }
        do {
            try await store.add(batch)
            totals.withLock { $0.persisted.merge(batch, uniquingKeysWith: +) }
        } catch {
            totals.withLock { $0.pending.merge(batch, uniquingKeysWith: +) }
            throw error
        }
    }
}

/// Flushes a ``CounterLedger`` every `interval` and once more on graceful shutdown.
struct CounterFlushService: Service {
    let ledger: CounterLedger
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            await flush()
        }
    }

    private func flush() async {
        do {
            try await ledger.flush()
        } catch {
            logger.warning("cannot persist counters", metadata: ["reason": "\(error)"])
        }
    }
}
