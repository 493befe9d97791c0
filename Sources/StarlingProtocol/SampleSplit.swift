/// Which part of a device's local data a sample belongs to: training, or held out for federated
/// evaluation.
///
/// The split is a pure function of the sample's row id (a splitmix64 hash, about 20% held out), so
/// it never changes after insertion and needs no random state. Row ids count from 1 in insertion
/// order, so whoever dealt a device its rows (the demo, a benchmark) knows which ones it trains on.
public enum SampleSplit: String, Sendable, CaseIterable {
    case train
    case eval

    /// Percent of samples held out for evaluation.
    public static let evalPercent: UInt64 = 20

    /// The split of the sample with this row id.
    public static func of(rowID: Int64) -> SampleSplit {
        splitmix64(UInt64(bitPattern: rowID)) % 100 < evalPercent ? .eval : .train
    }

    /// The splitmix64 finaliser (Steele et al. 2014): a cheap, well-mixed 64-bit hash.
    static func splitmix64(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
