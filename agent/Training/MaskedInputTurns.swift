import Synchronization

/// Turns at masking and sending a SecAgg+ masked input, for the devices of one process (a fleet
/// simulation): when the masked-input stage opens, every device of the process would otherwise mask
/// its vector at once and queue its upload, holding the vector, its request body and its encrypted
/// records together until the aggregator reads them (1.2 MB a device at 100k parameters). With a
/// few turns the process holds a few of those; the work done is the same, since the devices share
/// the machine's cores anyway. Turns go first come, first served.
final class MaskedInputTurns: Sendable {
    private enum Ticket {
        /// Issued, not yet waiting.
        case issued
        case waiting(CheckedContinuation<Bool, Never>)
        /// Cancelled before it waited.
        case cancelled
    }

    private struct State {
        var free: Int
        var tickets: [UInt64: Ticket] = [:]
        /// Waiting tickets in arrival order, from `head` on.
        var queue: [UInt64] = []
        var head = 0
        var issued: UInt64 = 0

        /// The first ticket still waiting, taken off the queue.
        mutating func nextWaiter() -> CheckedContinuation<Bool, Never>? {
            defer {
                if head > 1_024, head * 2 > queue.count {
                    queue.removeFirst(head)
                    head = 0
                }
            }
            while head < queue.count {
                let ticket = queue[head]
                head += 1
                if case .waiting(let waiter) = tickets.removeValue(forKey: ticket) { return waiter }
            }
            return nil
        }
    }

    private let state: Mutex<State>

    /// `count` turns, at least one.
    init(count: Int) {
        state = Mutex(State(free: max(1, count)))
    }

    /// Waits for a turn and takes it; give it back with ``give()``. A task cancelled while it waits
    /// takes none and gets `CancellationError`.
    func take() async throws(CancellationError) {
        if Task.isCancelled { throw CancellationError() }
        let ticket: UInt64? = state.withLock { state in
            if state.free > 0 {
                state.free -= 1
                return nil
            }
            state.issued += 1
            state.tickets[state.issued] = .issued
            return state.issued
        }
        guard let ticket else { return }
        let granted = await withTaskCancellationHandler {
            await withCheckedContinuation { (waiter: CheckedContinuation<Bool, Never>) in
                let now: Bool? = state.withLock { state in
                    if case .cancelled = state.tickets[ticket] {
                        state.tickets[ticket] = nil
                        return false
                    }
                    if state.free > 0 {
                        state.free -= 1
                        state.tickets[ticket] = nil
                        return true
                    }
                    state.tickets[ticket] = .waiting(waiter)
                    state.queue.append(ticket)
                    return nil
                }
                if let now { waiter.resume(returning: now) }
            }
        } onCancel: {
            let waiter: CheckedContinuation<Bool, Never>? = state.withLock { state in
                switch state.tickets[ticket] {
                case .issued:
                    state.tickets[ticket] = .cancelled
                    return nil
                case .waiting(let waiter):
                    state.tickets[ticket] = nil
                    return waiter
                case .cancelled, nil:
                    return nil
                }
            }
            waiter?.resume(returning: false)
        }
        guard granted else { throw CancellationError() }
    }

    /// Gives a turn back: to the longest waiting device, or to the pool.
    func give() {
        let waiter: CheckedContinuation<Bool, Never>? = state.withLock { state in
            if let waiter = state.nextWaiter() { return waiter }
            state.free += 1
            return nil
        }
        waiter?.resume(returning: true)
    }

    /// Turns free now.
    var available: Int { state.withLock(\.free) }

    /// Devices waiting for a turn now.
    var waiting: Int {
        state.withLock { state in
            state.tickets.values.count { if case .waiting = $0 { true } else { false } }
        }
    }
}
