import ServiceLifecycle

/// The revision of every device's desired state, `"<bootId>.<counter>"`, a progress counter, and
/// the long-polls that wait for either to change.
///
/// Anything relevant to devices (a deployment, a round task issued or ended) calls ``bump()``,
/// which wakes every waiting watch. A secure-aggregation stage closing changes nothing a device acts
/// on: it calls ``progressed()``, which wakes only what waits for progress (the devices waiting for
/// a stage's reply, and replicas catching up), so that a stage of a large cohort does not answer
/// every held watch of the fleet; a replica that does not lead does the same when what it read of the
/// leader's runs offers no task it did not offer before. Progress also advances with every bump. As
/// a `Service` it releases all waiters on graceful shutdown so held watches answer at once instead
/// of delaying the listeners' shutdown.
///
/// Changes made here are also offered on ``localChanges``, which ``RevisionRelay`` sends to the other
/// replicas; what they change arrives through ``peerChanged()`` and ``peerProgressed()``.
///
/// - Important: put it after the HTTP applications in the service group, so it shuts down first.
actor RevisionBroadcaster: Service {
    /// What a change concerns, strongest last.
    enum Change: Int, Comparable, Sendable {
        /// Only the progress of a secure-aggregation stage.
        case progress
        /// Some device's desired state.
        case desiredState

        static func < (lhs: Change, rhs: Change) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// What a long-poll waits to move on from.
    private enum Mark {
        case revision(String)
        case progress(Int)
    }

    private let bootID: String
    private var counter = 0
    private var progress = 0
    /// One element per burst of local changes (the newest is kept until read); what the burst
    /// changed is taken with ``takeLocalChange()``.
    nonisolated let localChanges: AsyncStream<Void>
    private let localContinuation: AsyncStream<Void>.Continuation
    private var unrelayed: Change?
    private var waiters: [Int: (mark: Mark, continuation: CheckedContinuation<Void, Never>)] = [:]
    private var nextWaiter = 0
    private var closed = false

    init(bootID: String) {
        self.bootID = bootID
        (localChanges, localContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// How many watches are waiting now.
    var waiterCount: Int { waiters.values.count { if case .revision = $0.mark { true } else { false } } }

    /// How many long-polls wait for progress now.
    var progressWaiterCount: Int { waiters.count - waiterCount }

    /// The current revision.
    var current: String { "\(bootID).\(counter)" }

    /// The current progress: it advances with every change of either kind.
    var currentProgress: Int { progress }

    /// Marks a change of desired state and wakes every waiting watch and long-poll, here and on the
    /// other replicas.
    func bump() {
        peerChanged()
        offer(.desiredState)
    }

    /// Marks progress that changes nothing a device acts on and wakes what waits for progress, here and on
    /// the other replicas.
    func progressed() {
        peerProgressed()
        offer(.progress)
    }

    /// How many times the relay (``RevisionRelay``) has opened its session listening to the other
    /// replicas; each opening wakes every waiter, for a notification missed before it.
    private(set) var relaySessionsOpened = 0

    /// The relay listens to the other replicas again: every waiter here wakes, as for a change
    /// another replica made, since one may have been missed meanwhile.
    func relayListening() {
        relaySessionsOpened += 1
        peerChanged()
    }

    /// Marks a change of desired state another replica made and wakes every waiter here.
    func peerChanged() {
        counter += 1
        progress += 1
        resume { _ in true }
    }

    /// Marks progress another replica made and wakes what waits for progress here.
    func peerProgressed() {
        progress += 1
        resume { if case .progress = $0 { true } else { false } }
    }

    /// The strongest change made here since the last call, if any, for the relay to send.
    func takeLocalChange() -> Change? {
        defer { unrelayed = nil }
        return unrelayed
    }

    /// Returns at once if `revision` is not current; otherwise when the revision changes, the
    /// broadcaster closes, or `timeout` passes. Returns the revision then current.
    func waitForChange(from revision: String, timeout: Duration) async -> String {
        await wait(for: .revision(revision), timeout: timeout)
        return current
    }

    /// Returns at once if progress is past `mark`; otherwise when it advances, the broadcaster
    /// closes, or `timeout` passes. Returns the progress then current.
    func waitForProgress(from mark: Int, timeout: Duration) async -> Int {
        await wait(for: .progress(mark), timeout: timeout)
        return progress
    }

    func run() async throws {
        try? await gracefulShutdown()
        closed = true
        resume { _ in true }
    }

    private func offer(_ change: Change) {
        unrelayed = max(unrelayed ?? change, change)
        localContinuation.yield()
    }

    private func hasMoved(from mark: Mark) -> Bool {
        switch mark {
        case .revision(let revision): revision != current
        case .progress(let seen): seen != progress
        }
    }

    private func wait(for mark: Mark, timeout: Duration) async {
        guard !hasMoved(from: mark), !closed, timeout > .zero else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.nextChange(after: mark) }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Waits for the next change that moves `mark` on, unless it has already moved: a change between
    /// the caller's check and this registration would otherwise go unnoticed.
    private func nextChange(after mark: Mark) async {
        let id = nextWaiter
        nextWaiter += 1
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled || closed || hasMoved(from: mark) {
                    continuation.resume()
                } else {
                    waiters[id] = (mark, continuation)
                }
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
    }

    private func cancelWaiter(_ id: Int) {
        waiters.removeValue(forKey: id)?.continuation.resume()
    }

    private func resume(where wakes: (Mark) -> Bool) {
        let woken = waiters.filter { wakes($0.value.mark) }
        for id in woken.keys { waiters[id] = nil }
        for waiter in woken.values { waiter.continuation.resume() }
    }
}
