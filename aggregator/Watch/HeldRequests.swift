import Synchronization

/// Bounds how many requests one device has held at once: watches and secure-aggregation replies
/// each cost the aggregator a task and a stream or connection for up to four minutes, and nothing
/// else stops a device from opening thousands of them.
///
/// Past ``perDevice`` the device's oldest hold is cut short, answered at once as if its wait had run
/// out, rather than the new request refused: a handler does not learn that its client went away, so
/// the oldest is most likely one whose connection is gone, and a device that reconnects must not be
/// shut out by its own leftovers.
final class HeldRequests: Sendable {
    /// More than an agent ever holds (one watch, and one reply for each secure round it is in).
    static let perDevice = 8

    /// One admitted request; its waits end early once it is cut short.
    struct Hold: Sendable {
        fileprivate let device: String
        fileprivate let id: Int
        fileprivate let registry: HeldRequests

        /// Runs `wait`, cancelling it when this hold is cut short: `wait` must return soon once
        /// cancelled.
        func wait(_ wait: @escaping @Sendable () async -> Void) async {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await wait() }
                group.addTask { await registry.cutShort(self) }
                await group.next()
                group.cancelAll()
            }
        }
    }

    private struct Entry {
        let id: Int
        var cutShort = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private struct State {
        var nextID = 0
        var holds: [String: [Entry]] = [:]
    }

    private let state = Mutex(State())
    private let limit: Int

    init(perDevice limit: Int = HeldRequests.perDevice) {
        self.limit = max(1, limit)
    }

    /// How many requests of `device` are held and not cut short.
    func count(of device: String) -> Int {
        state.withLock { $0.holds[device, default: []].count { !$0.cutShort } }
    }

    /// Admits a request of `device` for as long as `body` runs, cutting the device's oldest hold
    /// short when it already has ``perDevice``.
    func holding<T, Failure: Error>(
        _ device: String, _ body: (Hold) async throws(Failure) -> T
    ) async throws(Failure) -> T {
        let hold = admit(device)
        defer { release(hold) }
        return try await body(hold)
    }

    private func admit(_ device: String) -> Hold {
        let (id, cut) = state.withLock { state -> (Int, [CheckedContinuation<Void, Never>]) in
            let id = state.nextID
            state.nextID += 1
            var entries = state.holds[device, default: []]
            var cut: [CheckedContinuation<Void, Never>] = []
            if entries.count(where: { !$0.cutShort }) >= limit, let oldest = entries.firstIndex(where: { !$0.cutShort })
            {
                entries[oldest].cutShort = true
                cut = Array(entries[oldest].waiters.values)
                entries[oldest].waiters = [:]
            }
            entries.append(Entry(id: id))
            state.holds[device] = entries
            return (id, cut)
        }
        for waiter in cut { waiter.resume() }
        return Hold(device: device, id: id, registry: self)
    }

    private func release(_ hold: Hold) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard var entries = state.holds[hold.device], let index = entries.firstIndex(where: { $0.id == hold.id })
            else { return [] }
            let entry = entries.remove(at: index)
            state.holds[hold.device] = entries.isEmpty ? nil : entries
            return Array(entry.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once `hold` is cut short, released, or the calling task is cancelled.
    private func cutShort(_ hold: Hold) async {
        let waiter = state.withLock { state -> Int in
            defer { state.nextID += 1 }
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let waiting = state.withLock { state -> Bool in
                    guard !Task.isCancelled, var entries = state.holds[hold.device],
                        let index = entries.firstIndex(where: { $0.id == hold.id }), !entries[index].cutShort
                    else { return false }
                    entries[index].waiters[waiter] = continuation
                    state.holds[hold.device] = entries
                    return true
                }
                if !waiting { continuation.resume() }
            }
        } onCancel: {
            let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard var entries = state.holds[hold.device],
                    let index = entries.firstIndex(where: { $0.id == hold.id })
                else { return nil }
                let continuation = entries[index].waiters.removeValue(forKey: waiter)
                state.holds[hold.device] = entries
                return continuation
            }
            continuation?.resume()
        }
    }
}
