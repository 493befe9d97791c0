import Logging
import ServiceLifecycle
import StarlingStorage

/// Carries desired-state changes between replicas sharing a PostgreSQL database, so a watch held
/// on any replica wakes when another changes something: each burst of local changes is one
/// `NOTIFY` on ``channel`` naming this replica, and every notification from another replica wakes
/// this one's waiting watches. Each direction has a session of its own, opened again when it fails
/// (the watches are woken then too, for a notification the broken session may have missed). On
/// SQLite there is one process and nothing to carry.
struct RevisionRelay: Service {
    static let channel = "starling_revision"

    let engine: any StorageEngine
    let broadcaster: RevisionBroadcaster
    /// This process's name in the notifications, so it ignores its own.
    let replica: String
    let retryInterval: Duration
    let logger: Logger

    func run() async throws {
        guard let postgres = engine as? PostgreSQLEngine else {
            try? await gracefulShutdown()
            return
        }
        try? await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await listen(on: postgres) }
                group.addTask { await publish(on: postgres) }
            }
        }
    }

    /// Wakes this replica's watches on every notification another replica sends.
    private func listen(on postgres: PostgreSQLEngine) async {
        while !Task.isCancelled {
            do {
                let session = try await postgres.openSession()
                do {
                    try await session.listen(Self.channel) {
                        await broadcaster.peerChanged()
                    } receive: { payload in
                        if payload != replica { await broadcaster.peerChanged() }
                    }
                } catch {
                    await session.close()
                    throw error
                }
                await session.close()
            } catch let error where !Task.isCancelled {
                logger.warning("cannot listen for other replicas' changes", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: retryInterval)
            } catch {
                return
            }
        }
    }

    /// Sends one notification per burst of local changes.
    private func publish(on postgres: PostgreSQLEngine) async {
        var session: PostgreSQLSession?
        for await _ in broadcaster.localChanges {
            do {
                let open: PostgreSQLSession
                if let session, !session.isClosed {
                    open = session
                } else {
                    open = try await postgres.openSession()
                }
                session = open
                try await open.notify(Self.channel, payload: replica)
            } catch {
                logger.warning("cannot tell other replicas of a change", metadata: ["error": "\(error)"])
                await session?.close()
                session = nil
            }
        }
        await session?.close()
    }
}
