/// Runs `operation` with a hard deadline: its result if it finishes in time, otherwise nil (and the
/// operation is cancelled). Guards phase two even when the transport's own timeout is late.
func withDeadline<T: Sendable>(
    _ limit: Duration, _ operation: @escaping @Sendable () async throws(AgentError) -> T
) async -> Result<T, AgentError>? {
    await withTaskGroup(of: Result<T, AgentError>?.self) { group in
        group.addTask {
            do throws(AgentError) {
                return .success(try await operation())
            } catch {
                return .failure(error)
            }
        }
        group.addTask {
            try? await Task.sleep(for: limit)
            return nil
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        return first
    }
}
