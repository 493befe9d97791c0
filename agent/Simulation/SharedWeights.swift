import StarlingCore
import StarlingProtocol
import StarlingTransport

/// The base weights of a simulated fleet's rounds, by digest: the first device that needs a version
/// downloads it over its own mutual-TLS link and checks it against the task's digest, as every agent
/// does, and the other devices of the process use that copy, so that a process of N devices does not
/// hold N copies of one model. The few newest versions are kept.
actor SharedWeights {
    private var downloads: [String: Task<Result<ModelBundle, AgentError>, Never>] = [:]
    private var order: [String] = []
    private static let kept = 4

    /// The base of `task`, downloaded by `client` if no device of the process has it yet.
    func bundle(for task: RoundTask, client: StarlingHTTPClient) async throws(AgentError) -> ModelBundle {
        if let download = downloads[task.sha256] { return try await download.value.get() }
        let download = Task { () -> Result<ModelBundle, AgentError> in
            do throws(AgentError) {
                return .success(
                    try await WeightsDownloader(client: client)
                        .download(
                            model: task.model, version: task.baseVersion, sha256: task.sha256,
                            retryingUntil: task.deadline
                        ).0)
            } catch {
                return .failure(error)
            }
        }
        downloads[task.sha256] = download
        order.append(task.sha256)
        if order.count > Self.kept { downloads[order.removeFirst()] = nil }
        let result = await download.value
        if case .failure = result, order.contains(task.sha256) {
            downloads[task.sha256] = nil
            order.removeAll { $0 == task.sha256 }
        }
        return try result.get()
    }
}
