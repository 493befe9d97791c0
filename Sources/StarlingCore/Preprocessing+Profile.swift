#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension Preprocessing {
    /// Clip of the fitted z-scores (plain and log1p): ±5 standard deviations.
    public static let fittedClip: Float = 5
    /// A non-negative feature is heavy-tailed when its positive values span at least this many
    /// decades between their 1st and 99th percentiles…
    public static let heavyTailDecades = 3.0
    /// …or when their 99.9th percentile is at least this many times their median.
    public static let heavyTailRatio = 50.0
    /// A feature with at least this share of zeros is mostly zero (a pixel, a sparse counter).
    public static let sparseZeroFraction = 0.1
    /// The z-score floor of a dense feature: σ ≥ (p99.9 − p0.1) · this, which only matters when a few
    /// extreme values stretch the range far beyond σ.
    public static let varianceFloorFraction = 0.05
    /// The z-score floor of a mostly-zero feature: σ ≥ (p99.9 − p0.1) · this. Such a feature's σ
    /// measures how rarely it is non-zero rather than its scale, so it is scaled by half its range:
    /// its values land within about ±2 however rarely it is lit. On the quality benchmark
    /// (docs/quality.md) this kept more of the centralised accuracy than 0.05, 0.15, 0.2 or 0.3, most of
    /// all on raw pixels, and more than min–max scaling.
    public static let sparseVarianceFloorFraction = 0.5

    /// One transform per feature, chosen from the fleet profile by these rules, in order:
    ///
    /// 1. No observed values: z-score with mean 0 and std 1, clipped (nothing is known; stay bounded).
    /// 2. Constant (std ≤ 1e-6·max(1, |mean|), or every value in the zero bucket): z-score centred on the
    ///    mean with std 1, clipped, so it maps to about 0 instead of dividing by nothing.
    /// 3. Non-negative and heavy-tailed: its positive values span ≥ ``heavyTailDecades`` decades between
    ///    their p1 and p99, or their p99.9 is ≥ ``heavyTailRatio`` × their median (byte counters,
    ///    durations, log-normal telemetry): log1p, then a clipped z-score with mean and std estimated
    ///    from the histogram on the log1p scale. A z-score would leave most values in a sliver near
    ///    its lower clip and a few far out; on the log scale the decades spread evenly.
    /// 4. Otherwise, pixel intensities and sparse counts included: a z-score with a variance floor,
    ///    σ ≥ max(σ, f × (p99.9 − p0.1), 1e-6·max(1, |mean|)), clipped at ±``fittedClip``, where f is
    ///    ``sparseVarianceFloorFraction`` for a feature with at least ``sparseZeroFraction`` zeros and
    ///    ``varianceFloorFraction`` otherwise. A mostly-zero feature's σ is dominated by how rarely it is
    ///    non-zero, so a plain z-score turns a rare bright pixel into hundreds or thousands; the floor
    ///    and the clip keep it within a few units.
    ///
    /// Every transform it returns is bounded, so no input can reach the network as a value like 1,400.
    public static func auto(from profile: FeatureProfile) -> Preprocessing {
        Preprocessing(valid: (0..<profile.width).map { autoTransform(profile, feature: $0) })
    }

    /// `kind` for every feature (``PreprocessingKind/auto`` is ``auto(from:)``). Features without
    /// values or constant get the centred z-score of rule 2 of ``auto(from:)`` under every kind but
    /// `identity`.
    public static func fitted(_ kind: PreprocessingKind, from profile: FeatureProfile) -> Preprocessing {
        if kind == .auto { return auto(from: profile) }
        return Preprocessing(
            valid: (0..<profile.width).map { j -> FeatureTransform in
                if kind == .identity { return .identity }
                let summary = profile.features[j]
                if let fallback = degenerateTransform(summary) { return fallback }
                switch kind {
                case .minmax: return minMaxTransform(summary)
                case .log1p: return log1pTransform(profile, feature: j)
                case .zscore, .auto, .identity: return zScoreTransform(summary)
                }
            })
    }

    private static func autoTransform(_ profile: FeatureProfile, feature j: Int) -> FeatureTransform {
        let summary = profile.features[j]
        if let fallback = degenerateTransform(summary) { return fallback }
        guard summary.negativeFraction == 0, summary.min >= 0 else { return zScoreTransform(summary) }
        if isHeavyTailed(profile, feature: j) { return log1pTransform(profile, feature: j) }
        return zScoreTransform(summary)
    }

    /// Rules 1 and 2: the centred z-score for a feature with nothing to scale by.
    private static func degenerateTransform(_ summary: FeatureSummary) -> FeatureTransform? {
        let empty = summary.count == 0
        let constant = summary.std <= 1e-6 * max(1, abs(summary.mean)) || summary.zeroFraction == 1
        guard empty || constant else { return nil }
        return .zScore(mean: finite(empty ? 0 : summary.mean), std: 1, clip: fittedClip)
    }

    private static func isHeavyTailed(_ profile: FeatureProfile, feature j: Int) -> Bool {
        guard let distribution = try? profile.distribution(feature: j) else { return false }
        let zero = profile.grid.zeroIndex
        let positive = distribution.restricted { $0 > zero }
        guard positive.total > 0 else { return false }
        let p1 = positive.quantile(0.01), p50 = positive.quantile(0.5)
        let p99 = positive.quantile(0.99), p999 = positive.quantile(0.999)
        return log10(p99 / p1) >= heavyTailDecades || p999 >= heavyTailRatio * p50
    }

    /// Rule 4: z-score with the variance floor, clipped.
    private static func zScoreTransform(_ summary: FeatureSummary) -> FeatureTransform {
        let range = summary.quantiles.p99_9 - summary.quantiles.p0_1
        let fraction = summary.zeroFraction >= sparseZeroFraction ? sparseVarianceFloorFraction : varianceFloorFraction
        let floor = max(fraction * range, 1e-6 * max(1, abs(summary.mean)))
        return .zScore(mean: finite(summary.mean), std: finite(max(summary.std, floor)), clip: fittedClip)
    }

    /// Min–max between the profile's extremes (a unit range above `min` when they meet).
    private static func minMaxTransform(_ summary: FeatureSummary) -> FeatureTransform {
        let low = finite(summary.min)
        var high = finite(summary.max)
        if !(high > low) || !(high - low).isFinite { high = low + max(1, abs(low) * 1e-6) }
        return .minMax(min: low, max: high)
    }

    /// Rule 3: log1p, then a clipped z-score whose mean and std are those of log1p(max(v, 0)) over the
    /// histogram, each bucket at its representative value, with the same variance floor.
    private static func log1pTransform(_ profile: FeatureProfile, feature j: Int) -> FeatureTransform {
        let grid = profile.grid
        var n = 0.0, sum = 0.0, squares = 0.0
        var low = Double.infinity, high = -Double.infinity
        for entry in profile.histograms[j] {
            let y = log1p(max(grid.representative(entry.index), 0))
            let count = Double(entry.count)
            n += count
            sum += count * y
            squares += count * y * y
            low = min(low, y)
            high = max(high, y)
        }
        guard n > 0 else { return .log1p(mean: 0, std: 1, clip: fittedClip) }
        let mean = sum / n
        let std = max(0, squares / n - mean * mean).squareRoot()
        let floor = max(varianceFloorFraction * (high - low), 1e-6 * max(1, mean))
        return .log1p(mean: finite(mean), std: finite(max(std, floor)), clip: fittedClip)
    }

    /// `value` as a `Float`, clamped to the finite range.
    private static func finite(_ value: Double) -> Float {
        Float(min(max(value, -Double(Float.greatestFiniteMagnitude)), Double(Float.greatestFiniteMagnitude)))
    }
}
