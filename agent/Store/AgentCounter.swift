/// The running totals the agent reports in its status and keeps across restarts.
public enum AgentCounter: String, Sendable, CaseIterable {
    case predictions
    case phaseTwoRequests = "phase_two_requests"
    case degradedAnswers = "degraded_answers"
    case roundsJoined = "rounds_joined"
}
