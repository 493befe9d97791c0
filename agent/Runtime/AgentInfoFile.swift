import StarlingProtocol
import StarlingTransport

/// `DATA/agent.json`: where a running agent's local API listens, for scripts and tests to find it.
struct AgentInfoFile: Codable {
    var apiUrl: String
    var deviceId: String
    var socketPath: String?

    func write(to paths: AgentPaths) throws(AgentError) {
        do {
            try AtomicFile.write(try StarlingJSON.line(self), to: paths.agentInfo)
        } catch {
            throw .unwritableFile("\(error)")
        }
    }
}
