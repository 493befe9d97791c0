/// Why a learning-rate schedule cannot give a rate; each case reads as one sentence.
public enum LearningRateScheduleError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The base rate is not a positive finite number.
    case invalidBase(Double)
    /// The round is outside 1...totalRounds, or totalRounds is below 1.
    case roundOutOfRange(round: Int, totalRounds: Int)
    /// A parameter of the schedule is outside its range; the reason names it, its range and its value.
    case invalidSchedule(String)

    public var description: String {
        switch self {
        case .invalidBase(let base):
            return "The base learning rate must be a positive finite number, got \(base)."
        case .roundOutOfRange(let round, let totalRounds):
            return "Round \(round) is not one of the run's rounds 1...\(totalRounds)."
        case .invalidSchedule(let reason):
            return "Invalid learning-rate schedule: \(reason)."
        }
    }
}
