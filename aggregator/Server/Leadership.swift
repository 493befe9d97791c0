import Foundation
import StarlingStorage
import Synchronization

/// Which replica coordinates (chooses cohorts, closes stages, ticks rollouts), and the fencing
/// epoch that keeps a replica which lost the lead from acting on it.
///
/// Each time a replica becomes leader it raises `leadership.epoch` in a write transaction and holds
/// the value. Every coordination write checks, inside its own transaction, that the stored epoch is
/// still the one this replica holds (``fence(in:)``). Writes serialize on the engine's write lock,
/// so a leader that stalled while another replica took over finds a newer epoch when it resumes and
/// its write is refused, whatever it still believes: two leaders can never both write.
final class Leadership: Sendable {
    /// This process's name in `leadership.holder`.
    let replica: String
    private let held = Mutex<Int?>(nil)

    init(replica: String) { self.replica = replica }

    /// The epoch this replica leads in, or nil when it does not lead.
    var epoch: Int? { held.withLock { $0 } }

    var isLeader: Bool { epoch != nil }

    /// Raises the stored epoch for this replica and holds it; the new epoch.
    @discardableResult
    func claim(_ engine: any StorageEngine, at now: Date) async throws -> Int {
        let replica = replica
        let epoch = try await engine.write { db in try Self.raise(for: replica, at: now, in: db) }
        held.withLock { $0 = epoch }
        return epoch
    }

    /// ``claim(_:at:)`` on the calling thread, for start-up.
    @discardableResult
    func claimBlocking(_ engine: any StorageEngine, at now: Date) throws -> Int {
        let epoch = try engine.writeBlocking { db in try Self.raise(for: replica, at: now, in: db) }
        held.withLock { $0 = epoch }
        return epoch
    }

    /// Stops leading; whether it led.
    @discardableResult
    func resign() -> Bool {
        held.withLock { epoch in
            defer { epoch = nil }
            return epoch != nil
        }
    }

    /// Refuses, with 503 `not_leader`, a coordination write in `db` unless this replica holds the
    /// newest epoch.
    func fence(in db: any SQLConnection) throws {
        let stored = try db.integer("SELECT epoch FROM leadership WHERE id = 1")
        guard let epoch, Int64(epoch) == stored else {
            throw APIError.notLeader(
                "this aggregator no longer coordinates (epoch \(epoch.map(String.init) ?? "none"), newest \(stored))")
        }
    }

    private static func raise(for replica: String, at now: Date, in db: any SQLConnection) throws -> Int {
        try db.execute("UPDATE leadership SET epoch = epoch + 1, holder = ?, since = ? WHERE id = 1", replica, now)
        return Int(try db.integer("SELECT epoch FROM leadership WHERE id = 1"))
    }
}

extension APIError {
    /// 503 `not_leader`: the work asked for is the leading replica's; the caller sends it again.
    static func notLeader(_ message: String) -> APIError {
        APIError(.serviceUnavailable, .notLeader, message)
    }
}
