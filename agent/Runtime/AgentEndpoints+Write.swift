import StarlingProtocol
import StarlingTransport

extension AgentEndpoints {
    /// Writes `DATA/agent.json` atomically.
    func write(to paths: AgentPaths) throws(AgentError) {
        do {
            try AtomicFile.write(try StarlingJSON.line(self), to: paths.agentInfo)
        } catch {
            throw .unwritableFile("\(error)")
        }
    }
}
