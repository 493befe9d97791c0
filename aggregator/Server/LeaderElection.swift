import Foundation
import Logging
import ServiceLifecycle
import StarlingStorage

/// Elects the one replica that coordinates among aggregators sharing a PostgreSQL database: the
/// holder of a session-level advisory lock, on a session of its own that the server ends when the
/// process dies (the connection closes) or stalls (nothing sent for ``idleTimeout``), releasing the
/// lock for another replica to take.
///
/// The leader pings its session every ``interval``; the others try the lock as often. Taking it
/// raises the fencing epoch (``Leadership``) and hands the coordinators the lead; a ping that fails
/// means the session, and so the lock, is gone: the coordinators step down at once. On SQLite the
/// one process leads from start-up and this service only waits for shutdown.
struct LeaderElection: Service {
    /// The name of the lead's advisory lock (``PostgreSQLEngine/advisoryKey(_:)``).
    static let lockName = "leader"

    let engine: any StorageEngine
    let leadership: Leadership
    /// What start-up opened: a session that may already hold the lock.
    let session: PostgreSQLSession?
    let interval: Duration
    let idleTimeout: Duration
    let clock: @Sendable () -> Date
    /// Told, in order, that this replica now leads.
    let onLead: [@Sendable () async -> Void]
    /// Told, in order, that this replica no longer leads.
    let onLoss: [@Sendable () async -> Void]
    let logger: Logger

    /// Opens the election's session and tries the lock once, so a replica that finds no leader
    /// leads from start-up; on SQLite the process simply leads.
    static func start(
        engine: any StorageEngine, leadership: Leadership, idleTimeout: Duration, at now: Date
    ) throws -> PostgreSQLSession? {
        guard let postgres = engine as? PostgreSQLEngine else {
            try leadership.claimBlocking(engine, at: now)
            return nil
        }
        let session = try postgres.openSessionBlocking(idleTimeout: idleTimeout)
        if try session.tryLockBlocking(postgres.advisoryKey(lockName)) {
            try leadership.claimBlocking(engine, at: now)
        }
        return session
    }

    func run() async throws {
        guard let postgres = engine as? PostgreSQLEngine else {
            try? await gracefulShutdown()
            return
        }
        try? await cancelWhenGracefulShutdown { await elect(on: postgres) }
        await stepDown()
    }

    /// Campaigns on a session, opening a new one whenever the last failed, until cancelled.
    private func elect(on postgres: PostgreSQLEngine) async {
        var current = session
        while !Task.isCancelled {
            do {
                let open: PostgreSQLSession
                if let current, !current.isClosed {
                    open = current
                } else {
                    open = try await postgres.openSession(idleTimeout: idleTimeout)
                }
                current = open
                try await campaign(on: open, key: postgres.advisoryKey(Self.lockName))
            } catch let error where !Task.isCancelled {
                logger.warning("the leader election's session failed", metadata: ["error": "\(error)"])
                await current?.close()
                current = nil
                await stepDown()
                try? await Task.sleep(for: interval)
            } catch {
                break
            }
        }
        await current?.close()
    }

    /// Holds or tries the lock every ``interval`` until the session fails or the task is cancelled.
    private func campaign(on session: PostgreSQLSession, key: Int64) async throws {
        try await withThrowingDiscardingTaskGroup { group in
            while !Task.isCancelled {
                if leadership.isLeader {
                    try await session.ping()
                } else if try await session.tryLock(key) {
                    let epoch = try await leadership.claim(engine, at: clock())
                    logger.notice("this aggregator now coordinates", metadata: ["epoch": "\(epoch)"])
                    // The coordinators take over beside the pings: a takeover that outlasts the
                    // idle timeout must not cost the lead it is taking.
                    group.addTask { for lead in onLead { await lead() } }
                }
                try await Task.sleep(for: interval)
            }
        }
    }

    private func stepDown() async {
        guard leadership.resign() else { return }
        logger.warning("this aggregator no longer coordinates")
        for loss in onLoss { await loss() }
    }
}
