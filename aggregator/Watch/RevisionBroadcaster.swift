import ServiceLifecycle

/// The revision of every device's desired state, `"<bootId>.<counter>"`, and the long-polls that
/// wait for it to change.
///
/// Anything relevant to devices (a deployment, a round task issued or ended) calls ``bump()``,
/// which wakes every waiting watch. As a `Service` it releases all waiters on graceful shutdown so
/// held watches answer at once instead of delaying the listeners' shutdown.
///
/// Changes made here are also offered on ``localChanges``, which ``RevisionRelay`` sends to the other
/// replicas; what they change arrives through ``peerChanged()``.
///
/// - Important: put it after the HTTP applications in the service group, so it shuts down first.
actor RevisionBroadcaster: Service {
    private let bootID: String
    private var counter = 0
    /// One element per burst of local changes (the newest is kept until read).
    nonisolated let localChanges: AsyncStream<Void>
    private let localContinuation: AsyncStream<Void>.Continuation
    private var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    private var nextWaiter = 0
    private var closed = false

    init(bootID: String) {
        self.bootID = bootID
        (localChanges, localContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// How many watches are waiting now.
    var waiterCount: Int { waiters.count }

    /// The current revision.
    var current: String { "\(bootID).\(counter)" }

    /// Marks a change and wakes every waiting watch, here and on the other replicas.
    func bump() {
        peerChanged()
        localContinuation.yield()
    }

    /// Marks a change another replica made and wakes every waiting watch here.
    func peerChanged() {
        counter += 1
        resumeAll()
    }

    /// Returns at once if `revision` is not current; otherwise when the revision changes, the
    /// broadcaster closes, or `timeout` passes. Returns the revision then current.
    func waitForChange(from revision: String, timeout: Duration) async -> String {
        guard revision == current, !closed, timeout > .zero else { return current }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.nextChange(after: revision) }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
        return current
    }

    func run() async throws {
        try? await gracefulShutdown()
        closed = true
        resumeAll()
    }

    /// Waits for the next bump, unless the revision has already moved on from `revision`: a bump
    /// between the caller's check and this registration would otherwise go unnoticed.
    private func nextChange(after revision: String) async {
        let id = nextWaiter
        nextWaiter += 1
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled || closed || revision != current {
                    continuation.resume()
                } else {
                    waiters[id] = continuation
                }
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
    }

    private func cancelWaiter(_ id: Int) {
        waiters.removeValue(forKey: id)?.resume()
    }

    private func resumeAll() {
        let pending = waiters
        waiters.removeAll()
        for continuation in pending.values { continuation.resume() }
    }
}
