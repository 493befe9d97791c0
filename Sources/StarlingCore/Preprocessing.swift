#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A model's per-feature input preprocessing: one ``FeatureTransform`` per input, stored in the
/// manifest and applied identically wherever the model runs (training, evaluation, fp32 and int8
/// prediction, refinement).
///
/// Exists so that the transform a model was trained with is part of the model: every consumer calls
/// ``apply(_:)`` (or, on the int8 hot path, the buffer variant, or folds ``affineForm`` into its
/// input quantization when the whole preprocessing is affine).
///
/// Every transform maps finite input to finite output: the result is clamped to
/// ±`Float.greatestFiniteMagnitude` when unclipped, so 1e38 with a tiny std stays finite. Non-finite
/// input also yields a defined finite value: NaN becomes 0 (a standardised feature's centre) and ±∞
/// the transform's bound in that direction. Prediction APIs reject non-finite features with a typed
/// error before this point (the local prediction API and the refinement endpoint do); the mapping
/// only keeps a stray value from poisoning a batch.
public struct Preprocessing: Codable, Sendable, Equatable {
    /// One transform per input feature.
    public let transforms: [FeatureTransform]
    /// x' = clamp((g_j(x) − offset_j)·factor_j, lower_j, upper_j), with g_j = log1p∘max(·, 0) where
    /// `usesLog[j]`, else the identity: every transform in one shape for the hot loop.
    private let offset: [Float]
    private let factor: [Float]
    private let lower: [Float]
    private let upper: [Float]
    private let usesLog: [Bool]
    private let anyLog: Bool

    /// Validates every transform (``FeatureTransform/validate()``).
    public init(transforms: [FeatureTransform]) throws(ModelError) {
        for (index, transform) in transforms.enumerated() {
            do {
                try transform.validate()
            } catch .invalidPreprocessing(let reason) {
                throw .invalidPreprocessing("feature \(index): \(reason)")
            } catch {
                throw error
            }
        }
        self.init(valid: transforms)
    }

    /// Transforms already known to be valid.
    init(valid transforms: [FeatureTransform]) {
        self.transforms = transforms
        let unbounded = Float.greatestFiniteMagnitude
        var offset: [Float] = [], factor: [Float] = [], lower: [Float] = [], upper: [Float] = []
        var usesLog: [Bool] = []
        for transform in transforms {
            let (a, b, lo, hi, log): (Float, Float, Float, Float, Bool)
            switch transform {
            case .identity:
                (a, b, lo, hi, log) = (0, 1, -unbounded, unbounded, false)
            case .zScore(let mean, let std, let clip):
                (a, b, lo, hi, log) = (mean, 1 / std, -(clip ?? unbounded), clip ?? unbounded, false)
            case .minMax(let min, let max):
                (a, b, lo, hi, log) = (min, 1 / (max - min), 0, 1, false)
            case .fixedScale(let scale):
                (a, b, lo, hi, log) = (0, scale, -unbounded, unbounded, false)
            case .log1p(let mean, let std, let clip):
                (a, b, lo, hi, log) = (mean, 1 / std, -(clip ?? unbounded), clip ?? unbounded, true)
            }
            offset.append(a)
            factor.append(b)
            lower.append(lo)
            upper.append(hi)
            usesLog.append(log)
        }
        self.offset = offset
        self.factor = factor
        self.lower = lower
        self.upper = upper
        self.usesLog = usesLog
        anyLog = usesLog.contains(true)
    }

    /// Features this preprocessing applies to.
    public var featureCount: Int { transforms.count }

    /// Leaves every feature unchanged.
    public static func identity(featureCount: Int) -> Preprocessing {
        Preprocessing(valid: [FeatureTransform](repeating: .identity, count: featureCount))
    }

    /// The legacy per-feature standardisation, exactly: unclipped z-scores with its means and
    /// standard deviations, computing (x − μ)·(1/σ) in `Float` as it did.
    public init(standardization: Standardization) {
        self.init(
            valid: zip(standardization.mean, standardization.std).map { .zScore(mean: $0, std: $1, clip: nil) })
    }

    /// The legacy standardisation this preprocessing is, if every transform is an unclipped z-score.
    var standardization: Standardization? {
        var mean: [Float] = [], std: [Float] = []
        for transform in transforms {
            guard case .zScore(let mu, let sigma, nil) = transform else { return nil }
            mean.append(mu)
            std.append(sigma)
        }
        return try? Standardization(mean: mean, std: std)
    }

    /// x' = (x − mean)·scale per feature: what an affine preprocessing reduces to.
    ///
    /// Exists so the int8 input quantization can fold the preprocessing into the pass it makes over
    /// the input anyway, as it folded the legacy standardisation.
    public struct AffineForm: Sendable, Equatable {
        public var mean: [Float]
        public var scale: [Float]

        /// Whether x' = x for every feature.
        public var isIdentity: Bool { mean.allSatisfy { $0 == 0 } && scale.allSatisfy { $0 == 1 } }
    }

    /// How many features get each kind of transform, e.g. `minmax×700, zscore×84`.
    public var summary: String {
        var counts: [String: Int] = [:]
        for transform in transforms { counts[transform.name, default: 0] += 1 }
        return counts.keys.sorted().map { "\($0)×\(counts[$0] ?? 0)" }.joined(separator: ", ")
    }

    /// Whether every transform is affine without a clamp (identity, fixed scale, unclipped z-score).
    public var isAffine: Bool { transforms.allSatisfy(\.isAffine) }

    /// The (mean, scale) form when ``isAffine``, with the same `Float` operands ``apply(_:)`` uses, so
    /// folding it computes the same values for finite results; `nil` otherwise.
    public var affineForm: AffineForm? {
        isAffine ? AffineForm(mean: offset, scale: factor) : nil
    }

    /// Transforms any number of row-major rows of ``featureCount`` raw features.
    public func apply(_ rows: [Float]) -> [Float] {
        var result = rows
        result.withUnsafeMutableBufferPointer { apply(inPlace: $0) }
        return result
    }

    /// Transforms row-major rows in place: allocation-free, for hot paths with their own scratch.
    public func apply(inPlace values: UnsafeMutableBufferPointer<Float>) {
        apply(UnsafeBufferPointer(values), into: values)
    }

    /// Writes the transformed rows of `input` to the first `input.count` values of `output` (which may
    /// be the same memory); allocation-free.
    public func apply(_ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>) {
        let width = featureCount
        guard width > 0, let source = input.baseAddress, let target = output.baseAddress else { return }
        precondition(input.count % width == 0, "\(input.count) values are not rows of \(width) features")
        precondition(output.count >= input.count, "the output holds fewer values than the input")
        offset.withUnsafeBufferPointer { a in
            factor.withUnsafeBufferPointer { b in
                lower.withUnsafeBufferPointer { lo in
                    upper.withUnsafeBufferPointer { hi in
                        usesLog.withUnsafeBufferPointer { log in
                            var row = 0
                            while row < input.count {
                                for j in 0..<width {
                                    var v = source[row + j]
                                    if anyLog, log[j] { v = log1pf(Swift.max(v, 0)) }
                                    let r = (v - a[j]) * b[j]
                                    target[row + j] = r.isNaN ? 0 : Swift.min(Swift.max(r, lo[j]), hi[j])
                                }
                                row += width
                            }
                        }
                    }
                }
            }
        }
    }

    private enum CodingKeys: String, CodingKey { case transforms }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let transforms = try container.decode([FeatureTransform].self, forKey: .transforms)
        self.init(valid: transforms)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(transforms, forKey: .transforms)
    }

    public static func == (lhs: Preprocessing, rhs: Preprocessing) -> Bool {
        lhs.transforms == rhs.transforms
    }
}
