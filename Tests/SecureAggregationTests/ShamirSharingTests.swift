import StarlingCore
import XCTest

@testable import SecureAggregation

final class ShamirSharingTests: XCTestCase {
    func testAnyThresholdSubsetOfSharesReconstructsTheSecret() throws {
        var rng = SeededRNG(seed: 11)
        for trial in 0..<50 {
            let count = 2 + rng.nextInt(below: 20)
            let threshold = 1 + rng.nextInt(below: count)
            let secret = (0..<(1 + rng.nextInt(below: 40))).map { _ in UInt8.random(in: 0...255, using: &rng) }
            var points = Array(UInt8(1)...UInt8(255))
            rng.shuffle(&points)
            let shares = try ShamirSharing.split(
                secret, threshold: threshold, points: Array(points.prefix(count)), using: &rng)
            for _ in 0..<5 {
                var subset = shares
                rng.shuffle(&subset)
                XCTAssertEqual(
                    try ShamirSharing.reconstruct(Array(subset.prefix(threshold)), threshold: threshold), secret,
                    "trial \(trial): \(threshold) of \(count) shares")
            }
        }
    }

    /// With t − 1 shares fixed, every possible secret byte has exactly one polynomial of degree
    /// t − 1 through them: the shares say nothing about the secret.
    func testFewerThanThresholdSharesAreConsistentWithEverySecret() throws {
        var rng = SeededRNG(seed: 12)
        let threshold = 3
        let shares = try ShamirSharing.split([0x5A], threshold: threshold, points: [1, 2, 3, 4], using: &rng)
        let known = Array(shares.prefix(threshold - 1))
        for candidate in 0...255 {
            // Put the candidate secret at x = 0 as a share and interpolate through it and the
            // known shares: a polynomial exists for every candidate, and it gives the candidate back.
            let withCandidate = known + [ShamirShare(x: 9, bytes: [0])]
            var found = false
            for value in 0...255 {
                var attempt = withCandidate
                attempt[threshold - 1].bytes = [UInt8(value)]
                if try ShamirSharing.reconstruct(attempt, threshold: threshold) == [UInt8(candidate)] {
                    found = true
                    break
                }
            }
            XCTAssertTrue(found, "no polynomial through the known shares has secret \(candidate)")
        }
    }

    func testTooFewSharesOrRepeatedPointsAreRefused() throws {
        var rng = SeededRNG(seed: 13)
        let shares = try ShamirSharing.split([1, 2, 3], threshold: 3, points: [1, 2, 3], using: &rng)
        XCTAssertThrowsError(try ShamirSharing.reconstruct(Array(shares.prefix(2)), threshold: 3)) {
            XCTAssertEqual($0 as? SecAggError, .notEnoughShares(needed: 3, got: 2))
        }
        XCTAssertThrowsError(try ShamirSharing.reconstruct([shares[0], shares[0], shares[1]], threshold: 3))
        XCTAssertThrowsError(try ShamirSharing.split([1], threshold: 2, points: [0, 1], using: &rng))
    }

    func testFieldMultiplicationIsTheAESFieldsAndInvertsDivision() {
        GF256.withTables { field in
            for a in 0...255 {
                for b in 0...255 {
                    XCTAssertEqual(field.multiply(UInt8(a), UInt8(b)), Self.product(UInt8(a), UInt8(b)))
                    guard b != 0 else { continue }
                    XCTAssertEqual(
                        field.multiply(UInt8(a), byLogarithm: field.logarithm(UInt8(b))),
                        Self.product(UInt8(a), UInt8(b)))
                    XCTAssertEqual(field.divide(field.multiply(UInt8(a), UInt8(b)), UInt8(b)), UInt8(a))
                }
            }
            XCTAssertEqual(field.multiply(0x57, 0x83), 0xC1, "the example product of FIPS-197 §4.2")
        }
    }

    /// Share x of each secret byte is its polynomial's value at x, the coefficients of degree
    /// 1…t − 1 taken from the generator in order, t − 1 bytes per secret byte.
    func testSharesAreThePolynomialsValuesAtTheirPoints() throws {
        for threshold in [1, 2, 15, 29] {
            var rng = SeededRNG(seed: UInt64(threshold))
            let secret = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let points = (1...29).map { UInt8($0 * 7 % 256) }
            var drawn = rng
            let shares = try ShamirSharing.split(secret, threshold: threshold, points: points, using: &rng)
            var random: [UInt8] = []
            while random.count < secret.count * (threshold - 1) {
                withUnsafeBytes(of: drawn.next()) { random.append(contentsOf: $0) }
            }
            for (share, x) in zip(shares, points) {
                XCTAssertEqual(share.x, x)
                for (index, constant) in secret.enumerated() {
                    var value = constant
                    var power: UInt8 = 1
                    for degree in stride(from: 1, to: threshold, by: 1) {
                        power = Self.product(power, x)
                        value ^= Self.product(random[index * (threshold - 1) + degree - 1], power)
                    }
                    XCTAssertEqual(share.bytes[index], value, "threshold \(threshold), x \(x), byte \(index)")
                }
            }
        }
    }

    /// The product in GF(2^8) by shifts and the reduction x^8 = x^4 + x^3 + x + 1, without tables.
    private static func product(_ a: UInt8, _ b: UInt8) -> UInt8 {
        var (a, b, result) = (a, b, UInt8(0))
        while b != 0 {
            if b & 1 != 0 { result ^= a }
            a = (a << 1) ^ ((a & 0x80) != 0 ? 0x1B : 0)
            b >>= 1
        }
        return result
    }
}
