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
        var shares = points.map { ShamirShare(x: $0, bytes: [UInt8](repeating: 0, count: secret.count)) }
        // All random coefficients at once, eight bytes per call of the generator.
        let randomCount = secret.count * (threshold - 1)
        var random = [UInt8]()
        random.reserveCapacity(randomCount + 8)
        while random.count < randomCount { withUnsafeBytes(of: rng.next()) { random.append(contentsOf: $0) } }
        var coefficients = [UInt8](repeating: 0, count: threshold)
        for (index, byte) in secret.enumerated() {
            coefficients[0] = byte
            for degree in 1..<threshold { coefficients[degree] = random[index * (threshold - 1) + degree - 1] }
            for shareIndex in shares.indices {
                shares[shareIndex].bytes[index] = evaluate(coefficients, at: shares[shareIndex].x)
            }
        }
        return shares
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
        // Lagrange basis at 0: ℓ_j(0) = Π_{m≠j} x_m / (x_m − x_j); subtraction is XOR here.
        let basis = points.indices.map { j in
            points.indices.reduce(UInt8(1)) { product, m in
                m == j ? product : GF256.multiply(product, GF256.divide(points[m], points[m] ^ points[j]))
            }
        }
        var secret = [UInt8](repeating: 0, count: length)
        for (share, weight) in zip(used, basis) {
            for index in 0..<length { secret[index] ^= GF256.multiply(share.bytes[index], weight) }
        }
        return secret
    }

    /// Horner's rule in GF(2^8).
    private static func evaluate(_ coefficients: [UInt8], at x: UInt8) -> UInt8 {
        coefficients.reversed().reduce(UInt8(0)) { GF256.multiply($0, x) ^ $1 }
    }
}
