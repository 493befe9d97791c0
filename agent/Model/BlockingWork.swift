import NIOPosix

/// Runs the disk- and CPU-bound parts of installing a model (reading, hashing and decoding
/// artifacts, syncing files, smoke tests) on a pool of its own, so a large artifact never holds one
/// of the few Swift concurrency threads that answer predictions. Most of that work waits on the
/// disk (every install syncs its files and its store), so the pool has more threads than a device
/// has cores: syncs of several installs overlap instead of queueing behind one another.
enum BlockingWork {
    private static let threads = 8

    private static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
        return pool
    }()

    static func run<T: Sendable>(_ body: @escaping @Sendable () throws(AgentError) -> T) async throws(AgentError) -> T {
        let result: Result<T, AgentError>
        do {
            result = try await pool.runIfActive { Result { () throws(AgentError) in try body() } }
        } catch {
            throw .unreadableFile(path: "models", reason: "the agent's worker threads are not running")
        }
        return try result.get()
    }
}
