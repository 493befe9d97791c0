#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Thompson sampling over Bernoulli arms: each arm's chance of a right answer has the posterior
/// Beta(1 + successes, 1 + failures) (a uniform prior, plus any prior counts the caller adds); a
/// choice draws once from every posterior and takes the largest draw, so an arm is chosen with the
/// probability that it is the best. Exists for the agent's bandit experiments.
public enum ThompsonSampling {
    /// The arm whose posterior draw is largest; `arms` holds (successes, failures) per arm.
    public static func choose<G: RandomNumberGenerator>(
        _ arms: [(successes: Double, failures: Double)], using generator: inout G
    ) -> Int {
        var best = 0
        var largest = -1.0
        for (index, arm) in arms.enumerated() {
            let draw = beta(1 + max(0, arm.successes), 1 + max(0, arm.failures), using: &generator)
            if draw > largest { (best, largest) = (index, draw) }
        }
        return best
    }

    /// Each arm's probability of being the best, estimated from `draws` joint posterior draws.
    public static func probabilityBest<G: RandomNumberGenerator>(
        _ arms: [(successes: Double, failures: Double)], draws: Int = 10_000, using generator: inout G
    ) -> [Double] {
        guard !arms.isEmpty, draws > 0 else { return [] }
        var wins = [Int](repeating: 0, count: arms.count)
        for _ in 0..<draws { wins[choose(arms, using: &generator)] += 1 }
        return wins.map { Double($0) / Double(draws) }
    }

    /// A draw from Beta(a, b), a, b > 0, as X/(X + Y) of two Gamma draws.
    public static func beta<G: RandomNumberGenerator>(_ a: Double, _ b: Double, using generator: inout G) -> Double {
        let x = gamma(a, using: &generator)
        let y = gamma(b, using: &generator)
        return x + y > 0 ? x / (x + y) : 0.5
    }

    /// A draw from Gamma(shape, 1) by Marsaglia and Tsang (2000); shapes below 1 are boosted by
    /// U^(1/shape).
    static func gamma<G: RandomNumberGenerator>(_ shape: Double, using generator: inout G) -> Double {
        if shape < 1 {
            let boost = pow(Double.random(in: Double.leastNonzeroMagnitude..<1, using: &generator), 1 / shape)
            return gamma(shape + 1, using: &generator) * boost
        }
        let d = shape - 1.0 / 3
        let c = 1 / (9 * d).squareRoot()
        while true {
            var x: Double
            var v: Double
            repeat {
                x = normal(using: &generator)
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = Double.random(in: Double.leastNonzeroMagnitude..<1, using: &generator)
            if u < 1 - 0.0331 * x * x * x * x || log(u) < 0.5 * x * x + d * (1 - v + log(v)) { return d * v }
        }
    }

    /// A standard normal draw (Box–Muller).
    private static func normal<G: RandomNumberGenerator>(using generator: inout G) -> Double {
        let u1 = Double.random(in: Double.leastNonzeroMagnitude..<1, using: &generator)
        let u2 = Double.random(in: 0..<1, using: &generator)
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}
