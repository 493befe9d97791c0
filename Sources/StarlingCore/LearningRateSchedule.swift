#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// How the clients' learning rate changes over the rounds of a federated run, so that a long run can start gently
/// and end with small steps instead of oscillating around a minimum at the rate that got it there.
///
/// For round r of T (1-based) and base rate η:
/// - `constant`: η.
/// - `cosine(warmupRounds: W, floor: f)`: a linear warm-up η·r/W for r ≤ W (Goyal et al. 2017, "Accurate, Large
///   Minibatch SGD"), then cosine annealing from η at round s = max(W, 1) to f·η at round T (Loshchilov & Hutter
///   2017, "SGDR", without restarts): f·η + (1 − f)·η·(1 + cos(π (r − s)/(T − s)))/2; η throughout when T = s = 1.
/// - `step(every: k, factor: γ)`: η·γ^⌊(r − 1)/k⌋, so rounds 1…k use η and each next k rounds γ times the last.
public enum LearningRateSchedule: Codable, Sendable, Equatable {
    /// The base rate every round.
    case constant
    /// Linear warm-up over `warmupRounds` (0 ≤ W < T), then cosine decay to `floor` (in [0, 1]) times the base.
    case cosine(warmupRounds: Int, floor: Double)
    /// Multiply by `factor` (in (0, 1]) every `every` (≥ 1) rounds.
    case step(every: Int, factor: Double)

    /// The rate for `round` (1-based) of `totalRounds`; throws when the base, the round or a parameter is out of range.
    public func learningRate(base: Double, round: Int, totalRounds: Int) throws(LearningRateScheduleError) -> Double {
        guard base.isFinite, base > 0 else { throw .invalidBase(base) }
        guard totalRounds >= 1, (1...totalRounds).contains(round) else {
            throw .roundOutOfRange(round: round, totalRounds: totalRounds)
        }
        switch self {
        case .constant:
            return base
        case .cosine(let warmupRounds, let floor):
            guard warmupRounds >= 0, warmupRounds < totalRounds else {
                throw .invalidSchedule("warmupRounds must be in 0..<\(totalRounds) (the rounds), got \(warmupRounds)")
            }
            guard floor >= 0, floor <= 1 else { throw .invalidSchedule("floor must be in [0, 1], got \(floor)") }
            if round <= warmupRounds { return base * Double(round) / Double(warmupRounds) }
            let start = max(warmupRounds, 1)
            guard totalRounds > start else { return base }
            let progress = Double(round - start) / Double(totalRounds - start)
            return floor * base + (1 - floor) * base * (1 + cos(Double.pi * progress)) / 2
        case .step(let every, let factor):
            guard every >= 1 else { throw .invalidSchedule("every must be at least 1, got \(every)") }
            guard factor > 0, factor <= 1 else { throw .invalidSchedule("factor must be in (0, 1], got \(factor)") }
            return base * pow(factor, Double((round - 1) / every))
        }
    }
}
