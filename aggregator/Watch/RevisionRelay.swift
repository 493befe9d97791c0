import Logging
import ServiceLifecycle
import StarlingStorage

/// Carries desired-state changes and secure-stage progress between replicas sharing a PostgreSQL
/// database, so a watch or a stage's reply held on any replica wakes when another changes
/// something: each burst of local changes is one `NOTIFY` on ``channel`` naming this replica (with
/// ``progressSuffix`` when the burst only made progress), and every notification from another
/// replica wakes this one's waiters for that kind of change. Each direction has a session of its own, opened again when it fails
/// (the watches are woken then too, for a notification the broken session may have missed). On
/// SQLite there is one process and nothing to carry.
struct RevisionRelay: Service {
    static let channel = "starling_revision"
    /// Ends the payload of a notification that only made progress (``RevisionBroadcaster/progressed()``);
    /// a replica that does not know it takes the notification as a change of desired state.
    static let progressSuffix = ";progress"

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

    /// Wakes this replica's waiters on every notification another replica sends.
    private func listen(on postgres: PostgreSQLEngine) async {
        while !Task.isCancelled {
            do {
                let session = try await postgres.openSession()
                do {
                    try await session.listen(Self.channel) {
                        await broadcaster.relayListening()
                    } receive: { payload in
                        guard payload != replica, payload != replica + Self.progressSuffix else { return }
                        if payload.hasSuffix(Self.progressSuffix) {
                            await broadcaster.peerProgressed()
                        } else {
                            await broadcaster.peerChanged()
                        }
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
            guard let change = await broadcaster.takeLocalChange() else { continue }
            do {
                let open: PostgreSQLSession
                if let session, !session.isClosed {
                    open = session
                } else {
                    open = try await postgres.openSession()
                }
                session = open
                try await open.notify(
                    Self.channel, payload: change == .desiredState ? replica : replica + Self.progressSuffix)
            } catch {
                logger.warning("cannot tell other replicas of a change", metadata: ["error": "\(error)"])
                await session?.close()
                session = nil
            }
        }
        await session?.close()
    }
}
