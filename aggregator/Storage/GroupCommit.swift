import StarlingStorage

/// Writes that arrive together share one transaction, each in its own savepoint. The database syncs
/// every commit to disk, so a burst of device reports costs one sync instead of one each, and still
/// none is acknowledged before it is on disk. A write that fails rolls back alone and throws; the
/// others in its transaction commit.
///
/// The first writer commits its own write with every write queued by then; writes arriving during
/// a commit wait, and when it ends the first of them commits the next batch.
actor GroupCommit {
    typealias Write = @Sendable (any SQLConnection) throws -> Void

    private enum Turn {
        case committed(Result<Void, APIError>)
        case lead
    }

    private struct Waiter {
        let write: Write
        let continuation: CheckedContinuation<Turn, Never>
    }

    private let engine: any StorageEngine
    private var committing = false
    private var waiting: [Waiter] = []

    init(engine: any StorageEngine) {
        self.engine = engine
    }

    /// How many writes wait for the commit under way.
    var waitingCount: Int { waiting.count }
    /// How many transactions this writer has committed or tried to.
    private(set) var transactions = 0

    /// Returns once `write` has committed.
    func write(_ write: @escaping Write) async throws(APIError) {
        if committing {
            let turn = await withCheckedContinuation { continuation in
                waiting.append(Waiter(write: write, continuation: continuation))
            }
            if case .committed(let result) = turn { return try result.get() }
        }
        committing = true
        let batch = waiting
        waiting.removeAll()
        let results = await commit([write] + batch.map(\.write))
        for (waiter, result) in zip(batch, results.dropFirst()) {
            waiter.continuation.resume(returning: .committed(result))
        }
        if waiting.isEmpty {
            committing = false
        } else {
            waiting.removeFirst().continuation.resume(returning: .lead)
        }
        try results[0].get()
    }

    private func commit(_ writes: [Write]) async -> [Result<Void, APIError>] {
        transactions += 1
        do {
            return try await engine.writing { db in
                writes.map { write in
                    do {
                        try db.inSavepoint { try write(db) }
                        return .success(())
                    } catch {
                        return .failure(storageAPIError(error))
                    }
                }
            }
        } catch {
            return Array(repeating: .failure(error), count: writes.count)
        }
    }
}
