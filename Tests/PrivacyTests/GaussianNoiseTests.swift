import Foundation
import XCTest

@testable import Privacy

/// The noise against the normal distribution it claims, with fixed keys: moments, tail frequencies,
/// the whole CDF (Kolmogorov–Smirnov), the ziggurat's tables and slow paths, and the four-at-once
/// path against the one-word-at-a-time path.
final class GaussianNoiseTests: XCTestCase {
    private func standardNormals(count: Int, key: UInt8) -> [Float] {
        var random = SecureRandom(key: [UInt8](repeating: key, count: 32))
        var values = [Float](repeating: 0, count: count)
        GaussianNoise.add(standardDeviation: 1, to: &values, using: &random)
        return values
    }

    /// P(|Z| > t) for a standard normal Z.
    private func twoSidedTail(_ t: Double) -> Double {
        erfc(t / 2.0.squareRoot())
    }

    /// The Kolmogorov–Smirnov distance between the empirical CDF of `samples` and `cdf`.
    private func kolmogorovSmirnov(_ samples: [Double], _ cdf: (Double) -> Double) -> Double {
        let sorted = samples.sorted()
        let n = Double(sorted.count)
        var distance = 0.0
        for (index, x) in sorted.enumerated() {
            let expected = cdf(x)
            distance = max(distance, abs(expected - Double(index) / n), abs(Double(index + 1) / n - expected))
        }
        return distance
    }

    func testMeanAndVarianceAreThoseAskedForWithinFourStandardErrors() {
        let n = 1_000_000
        let sigma = 2.5
        var random = SecureRandom(key: [UInt8](repeating: 11, count: 32))
        var values = [Float](repeating: 0, count: n)
        GaussianNoise.add(standardDeviation: sigma, to: &values, using: &random)
        let mean = values.reduce(0.0) { $0 + Double($1) } / Double(n)
        let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(n - 1)
        XCTAssertEqual(mean, 0, accuracy: 4 * sigma / Double(n).squareRoot())
        XCTAssertEqual(variance, sigma * sigma, accuracy: 4 * sigma * sigma * (2 / Double(n)).squareRoot())
    }

    func testFrequenciesBeyondThreeAndFourSigmaMatchTheNormalWithinFiveStandardDeviations() {
        let n = 4_000_000
        let samples = standardNormals(count: n, key: 12)
        for t in [3.0, 4.0] {
            let p = twoSidedTail(t)
            let observed = Double(samples.count(where: { abs(Double($0)) > t }))
            let expected = p * Double(n)
            XCTAssertEqual(observed, expected, accuracy: 5 * (expected * (1 - p)).squareRoot(), "beyond \(t)σ")
        }
    }

    func testTheCDFPassesKolmogorovSmirnovAtTheOnePerMilleLevel() {
        let samples = standardNormals(count: 1_000_000, key: 13).map(Double.init)
        let distance = kolmogorovSmirnov(samples) { 0.5 * erfc(-$0 / 2.0.squareRoot()) }
        // The critical value of D_n at α = 0.001 is 1.95 / √n.
        XCTAssertLessThan(distance, 1.95 / Double(samples.count).squareRoot())
    }

    func testTheTailBeyondRIsTheNormalsTailFarOut() {
        let ziggurat = NormalZiggurat.standard
        var random = SecureRandom(key: [UInt8](repeating: 14, count: 32))
        let samples = (0..<200_000).map { _ in ziggurat.tail(using: &random) }
        let r = ziggurat.r
        let tailMass = erfc(r / 2.0.squareRoot())
        let distance = kolmogorovSmirnov(samples) { 1 - erfc($0 / 2.0.squareRoot()) / tailMass }
        XCTAssertLessThan(distance, 1.95 / Double(samples.count).squareRoot())
        let p = erfc(5 / 2.0.squareRoot()) / tailMass
        let beyondFive = Double(samples.count(where: { $0 > 5 }))
        XCTAssertEqual(beyondFive, p * 200_000, accuracy: 5 * (p * 200_000).squareRoot(), "P(Z > 5 | Z > r)")
        XCTAssertTrue(samples.allSatisfy { $0 >= r })
    }

    func testTheLayersHaveEqualAreasAndRIsMarsagliaAndTsangs() {
        let z = NormalZiggurat.standard
        XCTAssertEqual(z.r, 3.6541528853610088, accuracy: 1e-12)
        XCTAssertEqual(z.v, 4.92867323399e-3, accuracy: 1e-13)
        assertClose(z.layers[0].width * NormalZiggurat.density(z.r), z.v, relative: 1e-14, "base strip")
        for (i, layer) in z.layers.enumerated().dropFirst() {
            assertClose(layer.width * (layer.top - layer.bottom), z.v, relative: 1e-9, "layer \(i)")
            let step = 0x1p-24 * layer.width
            XCTAssertEqual(Double(layer.threshold + 1) * step, layer.inner, accuracy: step, "layer \(i)'s fast test")
        }
        XCTAssertEqual(z.layers[1].top, 1)
        XCTAssertEqual(z.layers[1].threshold, -1, "the top layer has nothing wholly under the curve")
        XCTAssertEqual(z.layers[NormalZiggurat.layerCount - 1].width, z.r)
    }

    func testTheWedgeTestsShortcutsAgreeWithEvaluatingTheDensity() {
        let z = NormalZiggurat.standard
        var random = SecureRandom(key: [UInt8](repeating: 15, count: 32))
        var decided = 0
        for layer in 1..<NormalZiggurat.layerCount {
            let smallest = UInt32(max(0, z.layers[layer].threshold + 1))
            for _ in 0..<400 {
                let magnitude = smallest + UInt32(random.next() % UInt64((1 << 24) - smallest))
                let sign = UInt32(truncatingIfNeeded: random.next()) & 0x8000_0000
                let word = NormalZiggurat.Word(sign | (magnitude >> 1) << 8 | UInt32(layer))
                XCTAssertEqual(word.layer, layer)
                let uniform = random.nextUnit()
                let x = z.point(word)
                let (bottom, top) = (z.layers[layer].bottom, z.layers[layer].top)
                let exact = bottom + uniform * (top - bottom) < exp(-0.5 * x * x)
                XCTAssertEqual(z.wedgeAccepts(word, uniform: uniform), exact, "layer \(layer), x \(x), u \(uniform)")
                if exact { decided += 1 }
            }
        }
        XCTAssertGreaterThan(decided, 0)
    }

    func testFourWordsAtOnceGiveTheSameNoiseAsOneWordAtATime() {
        for count in [0, 1, 2, 3, 4, 5, 7, 8, 9, 31, 1000, 50_000] {
            var initial = [Float](repeating: 0, count: count)
            for index in initial.indices { initial[index] = Float(index % 7) - 3 }
            var together = initial
            var alone = initial
            var first = SecureRandom(key: [UInt8](repeating: 16, count: 32))
            var second = first
            for _ in 0..<3 {
                GaussianNoise.add(
                    standardDeviation: 1.5, to: &together, scaledBy: 0.25, using: &first, fourAtATime: true)
                GaussianNoise.add(
                    standardDeviation: 1.5, to: &alone, scaledBy: 0.25, using: &second, fourAtATime: false)
                let sampledTogether = GaussianNoise.samples(
                    count: count, standardDeviation: 0.5, using: &first, fourAtATime: true)
                let sampledAlone = GaussianNoise.samples(
                    count: count, standardDeviation: 0.5, using: &second, fourAtATime: false)
                XCTAssertEqual(sampledTogether.map(\.bitPattern), sampledAlone.map(\.bitPattern), "\(count) samples")
            }
            XCTAssertEqual(together.map(\.bitPattern), alone.map(\.bitPattern), "\(count) elements")
            XCTAssertEqual(first.next(), second.next(), "both read the same words")
        }
    }

    func testSamplesAreTheNoiseThatAddWouldAdd() {
        var sampling = SecureRandom(key: [UInt8](repeating: 19, count: 32))
        var adding = sampling
        var added = [Float](repeating: 0, count: 9000)
        GaussianNoise.add(standardDeviation: 1.25, to: &added, using: &adding)
        XCTAssertEqual(GaussianNoise.samples(count: 9000, standardDeviation: 1.25, using: &sampling), added)
        XCTAssertEqual(GaussianNoise.samples(count: 5, standardDeviation: 0, using: &sampling), [0, 0, 0, 0, 0])
    }

    func testScalingIsFusedWithTheNoise() {
        var scaledRandom = SecureRandom(key: [UInt8](repeating: 17, count: 32))
        var plainRandom = scaledRandom
        var scaled = [Float](repeating: 0, count: 10_000)
        var plain = scaled
        GaussianNoise.add(standardDeviation: 2, to: &scaled, scaledBy: 0.5, using: &scaledRandom)
        GaussianNoise.add(standardDeviation: 1, to: &plain, using: &plainRandom)
        XCTAssertEqual(scaled, plain, "(0 + N(0, 2²)) · 0.5 is N(0, 1) drawn from the same words")

        var values: [Float] = [1, -2, 3]
        var random = SecureRandom(key: [UInt8](repeating: 17, count: 32))
        GaussianNoise.add(standardDeviation: 0, to: &values, scaledBy: 0.5, using: &random)
        XCTAssertEqual(values, [0.5, -1, 1.5])
        let fresh = SecureRandom(key: [UInt8](repeating: 17, count: 32))
        XCTAssertEqual(random.next(), fresh.firstWord, "no noise reads nothing")
    }

    func testOpenUnitUniformsReachSmallValuesAsOftenAsTheyShould() {
        var random = SecureRandom(key: [UInt8](repeating: 18, count: 32))
        let n = 1_000_000
        var small = 0
        var sum = 0.0
        for _ in 0..<n {
            let u = random.nextOpenUnit()
            XCTAssertTrue(u > 0 && u < 1)
            if u < 0x1p-10 { small += 1 }
            sum += u
        }
        XCTAssertEqual(sum / Double(n), 0.5, accuracy: 4 * (1 / 12 / Double(n)).squareRoot())
        let expected = Double(n) * 0x1p-10
        XCTAssertEqual(Double(small), expected, accuracy: 5 * expected.squareRoot())
    }
}

extension SecureRandom {
    /// The first word of a copy of this stream.
    var firstWord: UInt64 {
        var copy = self
        return copy.next()
    }
}
