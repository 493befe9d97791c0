import NIOPosix
import ServiceLifecycle

/// Runs the disk- and CPU-bound parts of installing a model (reading, hashing and decoding
/// artifacts, syncing files, smoke tests) on a pool of its own, so a large artifact never holds one
/// of the few Swift concurrency threads that answer predictions. Most of that work waits on the
/// disk (every install syncs its files and its store), so the pool has more threads than a device
/// has cores: syncs of several installs overlap instead of queueing behind one another.
///
/// The agent owns one, started with it and stopped by ``BlockingWorkLifetime`` after every service
/// that uses it.
final class BlockingWork: Sendable {
    private let pool: NIOThreadPool

    init(threads: Int = 8) {
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
    }

    func run<T: Sendable>(_ body: @escaping @Sendable () throws(AgentError) -> T) async throws(AgentError) -> T {
        let result: Result<T, AgentError>
        do {
            result = try await pool.runIfActive { Result { () throws(AgentError) in try body() } }
        } catch {
            throw .unreadableFile(path: "models", reason: "the agent's worker threads are not running")
        }
        return try result.get()
    }

    /// Waits for the work under way and stops the threads; nothing runs on the pool afterwards.
    func shutdown() async {
        try? await pool.shutdownGracefully()
    }
}

/// Keeps the agent's ``BlockingWork`` threads while the agent runs and stops them at the end. Listed
/// first in the service group, so it stops after every service that installs models.
struct BlockingWorkLifetime: Service, CustomStringConvertible {
    let work: BlockingWork

    func run() async throws {
        try? await gracefulShutdown()
        await work.shutdown()
    }

    /// The name service-lifecycle logs for this service.
    var description: String { "blocking-work" }
}
