#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The standard normal by Marsaglia and Tsang's ziggurat ("The Ziggurat Method for Generating
/// Random Variables", J. Stat. Softw. 5(8), 2000) with 256 layers, exact: its tables are solved
/// in double precision (``NormalZiggurat/init()``), the wedge test evaluates the density where a
/// chord cannot decide, and the tail beyond r is Marsaglia's exact tail method (1964), so the only
/// departures from N(0, 1) are floating-point rounding and the 2⁻²⁴ grid of a layer's horizontal
/// coordinate.
///
/// Under f(x) = exp(−x²/2), x ≥ 0, stand 255 rectangles of equal area v over a base strip of the
/// same area (the rectangle [0, r] × [0, f(r)] and the tail beyond r). Layer i ≥ 1 has width x_i,
/// from x₁ at the top to x₂₅₅ = r, with f(x_{i−1}) = f(x_i) + v / x_i; the base strip has width
/// x₀ = v / f(r). One uniform 32-bit word (``Word``) picks a layer, a sign and a point U·x_i: the
/// point is accepted at once when U·x_i < x_{i−1}, the part of the layer wholly under the curve;
/// otherwise the base strip draws from the tail and the other layers test the wedge, drawing a new
/// word when the test fails.
struct NormalZiggurat: Sendable {
    static let layerCount = 256
    static let standard = NormalZiggurat()

    /// Where the tail starts.
    let r: Double
    /// The area of every layer.
    let v: Double
    /// Layer 0 is the base strip, 1 the top, 255 the widest rectangle.
    let layers: [Layer]

    /// One layer's constants.
    struct Layer: Sendable {
        /// x_i; x₀ = v / f(r) for the base strip.
        let width: Double
        /// x_{i−1}, how far the layer lies wholly under the curve: r for the base strip, 0 for the top.
        let inner: Double
        /// f(x_i) and f(x_{i−1}): the bottom and top of the wedge (f(0) = 1 above the top layer).
        let bottom: Double
        let top: Double
        /// 1 / (x_i − x_{i−1}).
        let inverseWedgeWidth: Double
        /// Where the wedge test needs no density. Measured from the wedge's chord as a fraction of
        /// the layer's height, f lies within [0, g) above it where concave (x_i ≤ 1) and within
        /// [−g, 0) below it where convex (x_{i−1} ≥ 1), g the largest gap. A point outside that
        /// band (|height − centre| ≥ half width, the band widened a little for rounding) lies under
        /// f iff its height is below `acceptsBelow` (0, or −g); across the inflection at 1 every
        /// point is in the band.
        let acceptsBelow: Double
        let bandCentre: Double
        let bandHalfWidth: Double
        /// A point m · 2⁻²⁴ · x_i (m odd, below 2²⁴) is accepted at once iff m ≤ threshold, that is
        /// iff m · 2⁻²⁴ · x_i < x_{i−1}; −1 for the top layer.
        let threshold: Int32
    }

    /// One uniform 32-bit word read as a layer (bits 0–7), a sign (bit 31) and an odd magnitude
    /// m = 2k + 1 from k in bits 8–30, so the point m · 2⁻²⁴ is the middle of one of 2²³ equal cells.
    struct Word {
        let layer: Int
        let magnitude: UInt32
        /// The sign as a Double's sign bit.
        let sign: UInt64

        init(_ bits: UInt32) {
            layer = Int(bits & 0xFF)
            magnitude = ((bits & 0x7FFF_FFFF) &>> 7) | 1
            sign = UInt64(bits & 0x8000_0000) << 32
        }
    }

    /// The point of a word as a real number, non-negative (the sign is the caller's).
    func point(_ word: Word) -> Double {
        Double(word.magnitude) * 0x1p-24 * layers[word.layer].width
    }

    /// The point of a word with its sign.
    func signedPoint(_ word: Word) -> Double {
        Double(bitPattern: point(word).bitPattern | word.sign)
    }

    /// The wedge test for a point of layer i ≥ 1 that the fast test rejected: with `uniform` in
    /// [0, 1), y = f(x_i) + uniform · (f(x_{i−1}) − f(x_i)) is uniform over the layer's height, and
    /// the point is a sample iff y < f(point). In the wedge's own coordinate t = (x − x_{i−1}) /
    /// (x_i − x_{i−1}) the chord from (x_{i−1}, f(x_{i−1})) to (x_i, f(x_i)) is uniform = 1 − t; f
    /// lies above it where concave and below it where convex, within `chordGap`, which settles most
    /// points without evaluating f.
    @inline(__always)
    func wedgeAccepts(_ word: Word, uniform: Double) -> Bool {
        let layer = layers[word.layer]
        let x = Double(word.magnitude) * 0x1p-24 * layer.width
        let aboveChord = uniform + (x - layer.inner) * layer.inverseWedgeWidth - 1
        if abs(aboveChord - layer.bandCentre) < layer.bandHalfWidth {
            return layer.bottom + uniform * (layer.top - layer.bottom) < Self.density(x)
        }
        return aboveChord < layer.acceptsBelow
    }

    /// A sample of the normal conditioned on exceeding r (Marsaglia 1964): a = −log(u₁)/r,
    /// b = −log(u₂), until 2b > a²; then r + a.
    func tail(using random: inout SecureRandom) -> Double {
        while true {
            let a = -log(random.nextOpenUnit()) / r
            let b = -log(random.nextOpenUnit())
            if 2 * b > a * a { return r + a }
        }
    }

    /// A standard normal sample whose first word is `bits`, drawing whatever else it needs.
    func sample(firstWord bits: UInt32, using random: inout SecureRandom) -> Double {
        var word = Word(bits)
        while true {
            let accepted: Double? =
                if Int32(word.magnitude) <= layers[word.layer].threshold {
                    point(word)
                } else if word.layer == 0 {
                    tail(using: &random)
                } else if wedgeAccepts(word, uniform: random.nextUnit()) {
                    point(word)
                } else {
                    nil
                }
            if let accepted { return Double(bitPattern: accepted.bitPattern | word.sign) }
            word = Word(UInt32(truncatingIfNeeded: random.next()))
        }
    }

    /// f(x) = exp(−x²/2), the normal density without its constant.
    static func density(_ x: Double) -> Double {
        exp(-0.5 * x * x)
    }
}
