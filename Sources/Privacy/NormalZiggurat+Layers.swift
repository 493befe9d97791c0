#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension NormalZiggurat {
    /// Solves the ziggurat: r, then v(r), then the layer widths x₂₅₅ = r, x_{i−1} = f⁻¹(v/x_i + f(x_i)),
    /// and each layer's constants.
    init() {
        let n = Self.layerCount
        let r = Self.solveTailStart(layers: n)
        let v = Self.area(tailStart: r)
        var x = [Double](repeating: 0, count: n)
        x[n - 1] = r
        for i in stride(from: n - 1, to: 1, by: -1) {
            x[i - 1] = Self.inverseDensity(v / x[i] + Self.density(x[i]))
        }
        x[0] = v / Self.density(r)
        let inner = [r, 0] + x[1..<(n - 1)]
        self.r = r
        self.v = v
        self.layers = (0..<n).map { i in
            let (a, b) = (inner[i], x[i])
            let inflected = i == 0 || (a < 1 && b > 1)
            let gap = inflected ? 0 : Self.chordGap(from: a, to: b)
            let band = b <= 1 ? (low: 0.0, high: gap) : (low: -gap, high: 0.0)
            let margin = 0x1p-40 + gap * 0x1p-20
            return Layer(
                width: b, inner: a,
                bottom: i == 0 ? Self.density(r) : Self.density(b),
                top: i == 0 ? Self.density(r) : Self.density(a),
                inverseWedgeWidth: 1 / (b - a),
                acceptsBelow: band.low,
                bandCentre: (band.low + band.high) / 2,
                bandHalfWidth: inflected ? .infinity : (band.high - band.low) / 2 + margin,
                threshold: Int32((a / b * 0x1p24).rounded(.up)) - 1)
        }
    }

    private static func inverseDensity(_ y: Double) -> Double {
        (-2 * log(y)).squareRoot()
    }

    /// v(r) = r f(r) + ∫_r^∞ f = r f(r) + √(π/2) erfc(r/√2).
    private static func area(tailStart r: Double) -> Double {
        r * density(r) + (Double.pi / 2).squareRoot() * erfc(r / 2.0.squareRoot())
    }

    /// The r for which the layers built down from r close exactly at the peak: the top layer's
    /// x₁ (1 − f(x₁)) equals v. Too small an r stacks the layers past the peak. Bisection to the
    /// last bit.
    private static func solveTailStart(layers n: Int) -> Double {
        func closes(_ r: Double) -> Bool {
            let v = area(tailStart: r)
            var x = r
            for _ in 0..<(n - 2) {
                let y = v / x + density(x)
                guard y < 1 else { return false }
                x = inverseDensity(y)
            }
            return x * (1 - density(x)) >= v
        }
        var low = 2.0
        var high = 5.0
        while high.nextDown > low {
            let middle = (low + high) / 2
            guard middle > low, middle < high else { break }
            if closes(middle) { high = middle } else { low = middle }
        }
        return high
    }

    /// The largest |f(x) − chord(x)| over [a, b], as a fraction of f(a) − f(b), for an interval on
    /// one side of the inflection at 1: there f′(x) = −x f(x) is monotone, so the one point where
    /// it equals the chord's slope is found by bisection.
    private static func chordGap(from a: Double, to b: Double) -> Double {
        let height = density(a) - density(b)
        let slope = -height / (b - a)
        var low = a
        var high = b
        for _ in 0..<200 {
            let middle = (low + high) / 2
            let derivativeAboveSlope = -middle * density(middle) > slope
            // Where f is concave f′ falls, so it is above the slope before the point; convex, after.
            if derivativeAboveSlope != (b <= 1) { high = middle } else { low = middle }
        }
        let x = (low + high) / 2
        return abs(density(x) - (density(a) + slope * (x - a))) / height
    }
}
