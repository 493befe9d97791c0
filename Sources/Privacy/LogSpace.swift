#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// Arithmetic on numbers kept as their logarithms, so that the huge and tiny terms of the Rényi
/// divergence series neither overflow nor vanish.
enum LogSpace {
    /// log(eˣ + eʸ).
    static func add(_ x: Double, _ y: Double) -> Double {
        let (low, high) = x < y ? (x, y) : (y, x)
        if low == -.infinity { return high }
        return high + log1p(exp(low - high))
    }

    /// log(eˣ − eʸ) for x ≥ y; −∞ when they are equal.
    static func subtract(_ x: Double, _ y: Double) -> Double {
        precondition(x >= y, "log-space subtraction needs x >= y")
        if y == -.infinity { return x }
        if x == y { return -.infinity }
        return x + log1p(-exp(y - x))
    }

    /// log(Σ eˣⁱ), scaled by the largest term so that no term overflows.
    static func sum(_ terms: [Double]) -> Double {
        guard let largest = terms.max(), largest > -.infinity else { return -.infinity }
        if largest == .infinity { return .infinity }
        var total = 0.0
        for term in terms { total += exp(term - largest) }
        return largest + log(total)
    }

    /// log(erfc(x)), accurate where erfc(x) itself underflows (x beyond about 26).
    static func erfc(_ x: Double) -> Double {
        if x < 25 { return log(complementaryErrorFunction(x)) }
        // erfc(x) = e^(−x²)/(x√π) · Σₖ (−1)ᵏ (2k−1)!!/(2x²)ᵏ, asymptotic; at x ≥ 25 eight terms
        // leave an error below 1e-25.
        let inverse = 1 / (2 * x * x)
        var term = 1.0
        var series = 1.0
        for k in 1...8 {
            term *= -Double(2 * k - 1) * inverse
            series += term
        }
        return -x * x - log(x) - 0.5 * log(Double.pi) + log(series)
    }

    /// log |C(n, k)|, the binomial coefficient for real n (negative factors for k > n + 1).
    static func binomial(_ n: Double, _ k: Double) -> Double {
        lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1)
    }
}

/// The C library's erfc, named apart from ``LogSpace/erfc(_:)``.
private func complementaryErrorFunction(_ x: Double) -> Double {
    #if canImport(Glibc)
        Glibc.erfc(x)
    #else
        Foundation.erfc(x)
    #endif
}
