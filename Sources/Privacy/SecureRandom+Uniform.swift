extension SecureRandom {
    /// Uniform on [0, 1) with 53 bits: k · 2⁻⁵³ for a uniform k < 2⁵³.
    mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// Uniform on (0, 1) in every binade: the exponent is −1 − (the number of leading zero bits of
    /// the stream), read across as many words as it takes, and the 52-bit significand is uniform,
    /// so −log u is unbounded in practice (up to about 744) rather than stopping near 37 as it does
    /// for a 53-bit fixed-point uniform. Used where a logarithm shapes a tail.
    mutating func nextOpenUnit() -> Double {
        var exponent = -1
        var bits = next()
        while bits == 0 {
            exponent -= 64
            guard exponent > Double.leastNormalMagnitude.exponent else { return .leastNormalMagnitude }
            bits = next()
        }
        exponent -= bits.leadingZeroBitCount
        let significand = 1 + Double(next() >> 12) * 0x1p-52
        return Double(sign: .plus, exponent: exponent, significand: significand)
    }
}
