#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// How far one feature's recent inputs have moved from the training profile, on the bins of a
/// ``DriftReference``.
///
/// - PSI, the population stability index: Σᵢ (aᵢ − eᵢ) · ln(aᵢ / eᵢ) over the bins, with aᵢ the
///   recent share and eᵢ the profile's, each floored at ``shareFloor`` so an empty bin stays finite.
///   Rules of thumb: below 0.1 stable, 0.1–0.25 a moderate shift, above 0.25 a major one.
/// - KS, a Kolmogorov–Smirnov-style distance: the largest gap between the two cumulative shares at
///   the bin edges, in 0…1.
public struct DriftScore: Codable, Sendable, Equatable {
    /// The smallest share a bin counts with in PSI.
    public static let shareFloor = 1e-4

    public var psi: Double
    public var ks: Double

    public init(psi: Double, ks: Double) {
        self.psi = psi
        self.ks = ks
    }

    /// The drift of `counts` (recent values per bin) from `reference` (the profile's shares per
    /// bin); nil when there are no recent values or the bins do not match.
    public init?(counts: [Int], reference: [Double]) {
        let total = counts.reduce(0, +)
        guard total > 0, counts.count == reference.count else { return nil }
        var psi = 0.0
        var ks = 0.0
        var actualCumulative = 0.0
        var expectedCumulative = 0.0
        for (count, expected) in zip(counts, reference) {
            let actual = Double(count) / Double(total)
            let a = max(actual, Self.shareFloor)
            let e = max(expected, Self.shareFloor)
            psi += (a - e) * log(a / e)
            actualCumulative += actual
            expectedCumulative += expected
            ks = max(ks, (actualCumulative - expectedCumulative).magnitude)
        }
        self.init(psi: psi, ks: min(ks, 1))
    }
}
