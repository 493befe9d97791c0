/// How one model input is transformed before the network sees it.
///
/// Exists because fleet data is not one shape: a bounded pixel, a Gaussian sensor reading and a
/// byte counter spanning nine decades each need their own scaling, and whatever is chosen must run
/// identically in training, int8 phase one, refinement and prediction (``Preprocessing``).
///
/// With clamp(v, lo, hi) = min(max(v, lo), hi):
/// - `identity`: x' = x.
/// - `zScore`: x' = clamp((x − mean)·(1/std), −clip, clip); no clamp when `clip` is nil (the legacy
///   standardisation).
/// - `minMax`: x' = clamp((x − min)·(1/(max − min)), 0, 1).
/// - `fixedScale`: x' = x·scale.
/// - `log1p`: x' = clamp((log1p(max(x, 0)) − mean)·(1/std), −clip, clip), for heavy-tailed
///   non-negative features; `mean` and `std` are on the log1p scale.
///
/// In JSON a transform is an object with a `"type"` (`identity`, `zscore`, `minmax`, `scale`,
/// `log1p`) and its parameters; an absent `clip` means none.
public enum FeatureTransform: Codable, Sendable, Equatable {
    case identity
    case zScore(mean: Float, std: Float, clip: Float?)
    case minMax(min: Float, max: Float)
    case fixedScale(scale: Float)
    case log1p(mean: Float, std: Float, clip: Float?)

    /// The transform's name as its JSON `type` spells it: `identity`, `zscore`, `minmax`, `scale` or `log1p`.
    public var name: String { kind.rawValue }

    private var kind: Kind {
        switch self {
        case .identity: .identity
        case .zScore: .zscore
        case .minMax: .minmax
        case .fixedScale: .scale
        case .log1p: .log1p
        }
    }

    /// Whether x' = (x − a)·b exactly, with no clamp (what the int8 input quantization can fold).
    public var isAffine: Bool {
        switch self {
        case .identity, .fixedScale: true
        case .zScore(_, _, let clip): clip == nil
        case .minMax, .log1p: false
        }
    }

    /// Throws unless every parameter is usable: finite means and bounds, positive finite standard
    /// deviations and clips, min < max with a finite range, a finite non-zero scale; a deviation or
    /// range so small that its reciprocal overflows is refused too.
    public func validate() throws(ModelError) {
        switch self {
        case .identity:
            return
        case .zScore(let mean, let std, let clip), .log1p(let mean, let std, let clip):
            guard mean.isFinite, std.isFinite, std > 0, (1 / std).isFinite else {
                throw .invalidPreprocessing(
                    "mean \(mean) and std \(std) must be finite with std > 0 and a finite 1/std")
            }
            if let clip, !(clip.isFinite && clip > 0) {
                throw .invalidPreprocessing("clip \(clip) must be a positive finite number")
            }
        case .minMax(let min, let max):
            guard min.isFinite, max.isFinite, min < max, (max - min).isFinite, (1 / (max - min)).isFinite else {
                throw .invalidPreprocessing(
                    "min \(min) and max \(max) must be finite with min < max and a range with a finite reciprocal")
            }
        case .fixedScale(let scale):
            guard scale.isFinite, scale != 0 else {
                throw .invalidPreprocessing("scale \(scale) must be a finite non-zero number")
            }
        }
    }

    private enum Kind: String, Codable { case identity, zscore, minmax, scale, log1p }
    private enum CodingKeys: String, CodingKey { case type, mean, std, clip, min, max, scale }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(Kind.self, forKey: .type) {
        case .identity:
            self = .identity
        case .zscore:
            self = .zScore(
                mean: try container.decode(Float.self, forKey: .mean),
                std: try container.decode(Float.self, forKey: .std),
                clip: try container.decodeIfPresent(Float.self, forKey: .clip))
        case .minmax:
            self = .minMax(
                min: try container.decode(Float.self, forKey: .min), max: try container.decode(Float.self, forKey: .max)
            )
        case .scale:
            self = .fixedScale(scale: try container.decode(Float.self, forKey: .scale))
        case .log1p:
            self = .log1p(
                mean: try container.decode(Float.self, forKey: .mean),
                std: try container.decode(Float.self, forKey: .std),
                clip: try container.decodeIfPresent(Float.self, forKey: .clip))
        }
        do {
            try validate()
        } catch {
            throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .identity:
            try container.encode(Kind.identity, forKey: .type)
        case .zScore(let mean, let std, let clip):
            try container.encode(Kind.zscore, forKey: .type)
            try container.encode(mean, forKey: .mean)
            try container.encode(std, forKey: .std)
            try container.encodeIfPresent(clip, forKey: .clip)
        case .minMax(let min, let max):
            try container.encode(Kind.minmax, forKey: .type)
            try container.encode(min, forKey: .min)
            try container.encode(max, forKey: .max)
        case .fixedScale(let scale):
            try container.encode(Kind.scale, forKey: .type)
            try container.encode(scale, forKey: .scale)
        case .log1p(let mean, let std, let clip):
            try container.encode(Kind.log1p, forKey: .type)
            try container.encode(mean, forKey: .mean)
            try container.encode(std, forKey: .std)
            try container.encodeIfPresent(clip, forKey: .clip)
        }
    }
}
