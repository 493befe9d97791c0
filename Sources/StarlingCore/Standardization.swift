/// Per-feature standardisation x' = (x − mean) / std: the input scaling of manifests written before
/// ``Preprocessing``, and the mean/std pair a create-model request carries.
///
/// Exists so those manifests and requests keep decoding; a model applies it as
/// ``Preprocessing/init(standardization:)``, exactly.
public struct Standardization: Codable, Sendable, Equatable {
    /// Per-feature mean μ_j.
    public var mean: [Float]
    /// Per-feature standard deviation σ_j (> 0).
    public var std: [Float]

    /// Validates: same count, every mean finite, every std finite and > 0 with a finite 1/std.
    public init(mean: [Float], std: [Float]) throws(ModelError) {
        guard mean.count == std.count else {
            throw .invalidStandardization("\(mean.count) means but \(std.count) standard deviations")
        }
        if let index = mean.firstIndex(where: { !$0.isFinite }) {
            throw .invalidStandardization("mean of feature \(index) is \(mean[index]), expected a finite number")
        }
        if let index = std.firstIndex(where: { !($0.isFinite && $0 > 0 && (1 / $0).isFinite) }) {
            throw .invalidStandardization(
                "standard deviation of feature \(index) is \(std[index]), expected a positive finite number with a finite reciprocal"
            )
        }
        self.mean = mean
        self.std = std
    }

    private init(unchecked mean: [Float], std: [Float]) {
        self.mean = mean
        self.std = std
    }

    /// Number of features this standardisation applies to.
    public var featureCount: Int { mean.count }

    /// Mean 0, std 1: leaves features unchanged.
    public static func identity(featureCount: Int) -> Standardization {
        Standardization(
            unchecked: [Float](repeating: 0, count: featureCount),
            std: [Float](repeating: 1, count: featureCount))
    }

    /// Population statistics of row-major `features`: μ_j = (1/n) Σ_i x_ij,
    /// σ_j = sqrt((1/n) Σ_i (x_ij − μ_j)²), accumulated in Float64 (two passes).
    ///
    /// A (near-)constant feature, σ_j ≤ 1e-6 · max(1, |μ_j|), gets σ_j = 1 so it maps to 0 instead of
    /// blowing up. No rows gives the identity.
    public static func fit(features: [Float], featureCount: Int) -> Standardization {
        precondition(featureCount >= 0, "featureCount must be non-negative")
        guard featureCount > 0, features.count >= featureCount else {
            return identity(featureCount: featureCount)
        }
        precondition(features.count % featureCount == 0, "features.count must be a multiple of featureCount")
        let rows = features.count / featureCount
        var sums = [Double](repeating: 0, count: featureCount)
        var squares = [Double](repeating: 0, count: featureCount)
        features.withUnsafeBufferPointer { x in
            for row in 0..<rows {
                let base = row * featureCount
                for j in 0..<featureCount { sums[j] += Double(x[base + j]) }
            }
            for j in 0..<featureCount { sums[j] /= Double(rows) }
            for row in 0..<rows {
                let base = row * featureCount
                for j in 0..<featureCount {
                    let deviation = Double(x[base + j]) - sums[j]
                    squares[j] += deviation * deviation
                }
            }
        }
        let mean = sums.map { Float($0) }
        let std = zip(sums, squares).map { mu, sumOfSquares -> Float in
            let sigma = (sumOfSquares / Double(rows)).squareRoot()
            let floor = 1e-6 * max(1, abs(mu))
            return sigma.isFinite && sigma > floor ? Float(sigma) : 1
        }
        return Standardization(unchecked: mean, std: std)
    }

    /// Applies x'_ij = (x_ij − μ_j) / σ_j to any number of row-major rows.
    public func apply(_ features: [Float]) -> [Float] {
        let width = featureCount
        guard width > 0 else { return features }
        precondition(features.count % width == 0, "features.count \(features.count) is not a multiple of \(width)")
        let inverseStd = std.map { 1 / $0 }
        var result = features
        result.withUnsafeMutableBufferPointer { x in
            var offset = 0
            while offset < x.count {
                for j in 0..<width {
                    x[offset + j] = (x[offset + j] - mean[j]) * inverseStd[j]
                }
                offset += width
            }
        }
        return result
    }

    private enum CodingKeys: String, CodingKey { case mean, std }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let mean = try container.decode([Float].self, forKey: .mean)
        let std = try container.decode([Float].self, forKey: .std)
        do {
            try self.init(mean: mean, std: std)
        } catch {
            throw DecodingError.dataCorruptedError(forKey: .std, in: container, debugDescription: error.description)
        }
    }
}
