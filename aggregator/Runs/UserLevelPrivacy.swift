import Privacy
import SecureAggregation
import StarlingProtocol

/// A run's user-level privacy (central or distributed): every device's delta is clipped to
/// `clipNorm`, and each round's sum carries Gaussian noise of `noiseMultiplier` times that norm.
struct UserLevelPrivacy: Sendable, Equatable {
    var mode: PrivacyMode
    var clipNorm: Double
    var noiseMultiplier: Double
}

extension RunPlan {
    /// The run's user-level privacy; nil for local privacy or none.
    var userLevelPrivacy: UserLevelPrivacy? {
        guard let privacy, privacy.mode.isUserLevel, let noiseMultiplier else { return nil }
        return UserLevelPrivacy(mode: privacy.mode, clipNorm: privacy.clipNorm ?? 1, noiseMultiplier: noiseMultiplier)
    }
}

/// How a user-level private round under secure aggregation encodes its devices' clipped deltas
/// and where the noise comes from.
///
/// Devices send round(delta × scale) modulo 2^32 (``SignedFixedPoint``). Rounding moves a vector by
/// less than √d integer units, so one device's contribution has L2 norm at most C·scale + √d, and
/// that is the sensitivity the noise is sized for. Central: the aggregator adds N(0, (σ·Δ)²) per
/// value to the decoded sum, Δ = C + √d/scale. Distributed: each device adds discrete Gaussian noise
/// sized so that the threshold's worth of devices (the fewest whose inputs the sum can hold) already
/// carry noise worth σ (``DistributedDiscreteGaussian``); more survivors only add noise.
struct UserLevelEncoding: Sendable {
    let codec: SignedFixedPoint
    /// Distributed: the noise each device adds; nil for central.
    let deviceNoise: DistributedDiscreteGaussian?
    /// Central: σ of the Gaussian noise the aggregator adds to each value of the decoded sum; 0 for distributed.
    let aggregatorNoiseStandardDeviation: Double

    init(_ privacy: UserLevelPrivacy, cohort: Int, threshold: Int, dimension: Int) throws(PrivacyError) {
        let rootD = Double(dimension).squareRoot()
        let clip = privacy.clipNorm
        let sigma = privacy.noiseMultiplier
        switch privacy.mode {
        case .distributed:
            // Total noise of `cohort` devices, each sized for `threshold` of them.
            let spread = sigma * (Double(cohort) / Double(threshold)).squareRoot()
            let scale = SignedFixedPoint.scale(
                summands: cohort, bound: clip, noisePerUnitScale: spread * clip, noiseFloor: spread * rootD)
            codec = SignedFixedPoint(scale: scale)
            deviceNoise = try DistributedDiscreteGaussian.calibrated(
                noiseMultiplier: sigma, parties: threshold, dimension: dimension, sensitivity: clip * scale + rootD)
            aggregatorNoiseStandardDeviation = 0
        case .central, .local:
            let scale = SignedFixedPoint.scale(summands: cohort, bound: clip)
            codec = SignedFixedPoint(scale: scale)
            deviceNoise = nil
            aggregatorNoiseStandardDeviation = sigma * (clip + rootD / scale)
        }
    }
}

/// The aggregator's half of user-level privacy: the noisy mean of clipped deltas with a fixed
/// denominator, the cohort's size, so one device present or absent changes the sum by at most the
/// clipping norm and nothing else (DP-FedAvg, McMahan et al. 2018).
enum UserLevelAggregation {
    /// (sum + N(0, noise²)) / cohort, per value.
    static func noisyMean(sum: [Double], noiseStandardDeviation: Double, cohort: Int) -> [Float] {
        var values = sum.map { Float($0) }
        var random = SecureRandom()
        GaussianNoise.add(standardDeviation: noiseStandardDeviation, to: &values, using: &random)
        let denominator = Float(max(1, cohort))
        return values.map { $0 / denominator }
    }
}
