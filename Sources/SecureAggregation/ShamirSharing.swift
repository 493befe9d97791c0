/// One share of a secret: the point `x` (1…255) the sharing polynomials were evaluated at, and
/// one byte per secret byte.
public struct ShamirShare: Sendable, Equatable, Codable {
    public var x: UInt8
    public var bytes: [UInt8]

    public init(x: UInt8, bytes: [UInt8]) {
        self.x = x
        self.bytes = bytes
    }
}

/// Shamir's (t, m) secret sharing over GF(2^8), byte-wise: each secret byte is the constant term of
/// its own random polynomial of degree t − 1, and share x holds every polynomial's value at x.
/// Any t shares give the secret back by Lagrange interpolation at 0; fewer are consistent with
/// every secret.
public enum ShamirSharing {
    /// Splits `secret` into one share per point of `points` (distinct, non-zero), any `threshold`
    /// of which reconstruct it. The coefficients come from `rng`, which must be cryptographically
    /// secure outside tests.
    public static func split(
        _ secret: [UInt8], threshold: Int, points: [UInt8], using rng: inout some RandomNumberGenerator
    ) throws(SecAggError) -> [ShamirShare] {
        guard threshold >= 1, threshold <= points.count else {
            throw .invalidParameters("a threshold of \(threshold) needs 1…\(points.count) shares")
        }
        guard !points.contains(0), Set(points).count == points.count else {
            throw .invalidParameters("share points must be distinct and non-zero")
        }
        // All random coefficients at once, eight bytes per call of the generator: byte i's
        // polynomial has coefficients random[i·(t − 1) ..< (i + 1)·(t − 1)] for degrees 1…t − 1.
        let degree = threshold - 1
        let randomCount = secret.count * degree
        var random = [UInt8]()
        random.reserveCapacity(randomCount + 8)
        while random.count < randomCount { withUnsafeBytes(of: rng.next()) { random.append(contentsOf: $0) } }
        return GF256.withTables { field in
            points.map { x in
                // Horner's rule from the top coefficient, with x's logarithm taken once.
                let logX = field.logarithm(x)
                let bytes = [UInt8](unsafeUninitializedCapacity: secret.count) { bytes, initialized in
                    for (index, constant) in secret.enumerated() {
                        var value: UInt8 = 0
                        var power = degree
                        while power >= 1 {
                            value = field.multiply(value, byLogarithm: logX) ^ random[index * degree + power - 1]
                            power -= 1
                        }
                        bytes[index] = field.multiply(value, byLogarithm: logX) ^ constant
                    }
                    initialized = secret.count
                }
                return ShamirShare(x: x, bytes: bytes)
            }
        }
    }

    /// The secret behind `shares`, of which the first `threshold` are used. Throws when there are
    /// fewer, when their points repeat or are zero, or when their lengths differ.
    public static func reconstruct(_ shares: [ShamirShare], threshold: Int) throws(SecAggError) -> [UInt8] {
        guard threshold >= 1, shares.count >= threshold else {
            throw .notEnoughShares(needed: threshold, got: shares.count)
        }
        let used = Array(shares.prefix(threshold))
        let points = used.map(\.x)
        guard !points.contains(0), Set(points).count == points.count else {
            throw .malformedMessage("shares must come from distinct non-zero points")
        }
        let length = used[0].bytes.count
        guard used.allSatisfy({ $0.bytes.count == length }) else {
            throw .malformedMessage("shares of one secret must have equal lengths")
        }
        return GF256.withTables { field in
            // Lagrange basis at 0: ℓ_j(0) = Π_{m≠j} x_m / (x_m − x_j); subtraction is XOR here.
            let basis = points.indices.map { j in
                points.indices.reduce(UInt8(1)) { product, m in
                    m == j ? product : field.multiply(product, field.divide(points[m], points[m] ^ points[j]))
                }
            }
            var secret = [UInt8](repeating: 0, count: length)
            // A basis value is never zero (a product of non-zero quotients), so it has a logarithm.
            for (share, weight) in zip(used, basis) {
                let logWeight = field.logarithm(weight)
                for index in 0..<length { secret[index] ^= field.multiply(share.bytes[index], byLogarithm: logWeight) }
            }
            return secret
        }
    }
}
