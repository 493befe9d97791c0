import NIOPosix

/// Runs the disk- and CPU-bound parts of installing a model (reading, hashing and decoding
/// artifacts, syncing files, smoke tests) on NIO's thread pool, so a large artifact never holds one
/// of the few Swift concurrency threads that answer predictions.
enum BlockingWork {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws(AgentError) -> T) async throws(AgentError) -> T {
        let result: Result<T, AgentError>
        do {
            result = try await NIOThreadPool.singleton.runIfActive { Result { () throws(AgentError) in try body() } }
        } catch {
            throw .unreadableFile(path: "models", reason: "the agent's worker threads are not running")
        }
        return try result.get()
    }
}
