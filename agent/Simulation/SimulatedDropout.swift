import SecureAggregation

/// Which simulated devices vanish in a round: each with probability `rate`, decided by a seeded hash
/// of its place in the fleet and the round (so a seed picks the same devices every time), after sharing its keys and before sending its masked input. That is the
/// dropout that costs SecAgg+ the most: the aggregator must rebuild the pairwise masks the vanished
/// device left in its neighbours' inputs. In a round without secure aggregation the device sends no
/// update.
public struct SimulatedDropout: Sendable {
    public let rate: Double
    public let seed: UInt64

    public init(rate: Double, seed: UInt64) {
        self.rate = rate
        self.seed = seed
    }

    /// The stage before which device `index` of the fleet vanishes in `round`; nil when it stays.
    func stage(device index: Int, round: Int) -> SecAggStage? {
        guard rate > 0 else { return nil }
        // The place, the round and the seed mixed by SplitMix64's finaliser.
        var hash = seed &+ UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15
        hash ^= UInt64(truncatingIfNeeded: round) &* 0xD1B5_4A32_D192_ED03
        hash = (hash ^ (hash >> 30)) &* 0xBF58_476D_1CE4_E5B9
        hash = (hash ^ (hash >> 27)) &* 0x94D0_49BB_1331_11EB
        hash ^= hash >> 31
        return Double(hash >> 11) * 0x1p-53 < rate ? .maskedInput : nil
    }
}
