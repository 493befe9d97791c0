import XCTest

@testable import Privacy

/// Per-step Rényi divergences, order by order, against dp-accounting and against the divergence
/// integrated at high precision.
final class RenyiDivergenceTests: XCTestCase {
    func testIntegerOrdersMatchTheLibrary() throws {
        for curve in try ReferenceVectors.load().rdp {
            let mechanism = try SampledGaussianMechanism(samplingRate: curve.q, noiseMultiplier: curve.sigma)
            for (order, library) in zip(curve.orders, curve.library) where order.rounded() == order {
                assertClose(
                    mechanism.rdp(order: order), try XCTUnwrap(library), relative: 1e-9, absolute: 1e-15,
                    "q \(curve.q) sigma \(curve.sigma) order \(order)")
            }
        }
    }

    /// At fractional orders the signed series is the divergence itself, and never above the library's
    /// absolute-value series (which may also have given up on the order).
    func testFractionalOrdersAreExactAndNeverAboveTheLibrary() throws {
        for curve in try ReferenceVectors.load().rdp {
            let mechanism = try SampledGaussianMechanism(samplingRate: curve.q, noiseMultiplier: curve.sigma)
            for (order, (library, exact)) in zip(curve.orders, zip(curve.library, curve.exact))
            where order.rounded() != order {
                let mine = mechanism.rdp(order: order)
                let context = "q \(curve.q) sigma \(curve.sigma) order \(order)"
                assertClose(mine, exact, relative: 1e-9, absolute: 1e-15, context)
                if let library { XCTAssertLessThanOrEqual(mine, library * (1 + 1e-12) + 1e-16, context) }
            }
        }
    }

    func testSpecialCases() throws {
        XCTAssertEqual(try SampledGaussianMechanism(samplingRate: 0, noiseMultiplier: 0).rdp(order: 2.5), 0)
        XCTAssertEqual(try SampledGaussianMechanism(samplingRate: 0.3, noiseMultiplier: 0).rdp(order: 2.5), .infinity)
        XCTAssertEqual(try SampledGaussianMechanism(samplingRate: 1, noiseMultiplier: 2).rdp(order: 4), 0.5)
        XCTAssertEqual(try SampledGaussianMechanism(samplingRate: 1, noiseMultiplier: 2).rdp(order: 1.5), 1.5 / 8)
    }

    /// Subsampling only helps: at every order the divergence lies between 0 and the Gaussian
    /// mechanism's α/(2σ²), and it grows with the order.
    func testDivergenceIsBoundedByTheGaussianMechanismAndGrowsWithTheOrder() throws {
        let mechanism = try SampledGaussianMechanism(samplingRate: 0.2, noiseMultiplier: 1.2)
        var previous = 0.0
        for order in RenyiOrders.default {
            let rdp = mechanism.rdp(order: order)
            XCTAssertGreaterThan(rdp, previous, "order \(order)")
            XCTAssertLessThan(rdp, order / (2 * 1.2 * 1.2), "order \(order)")
            previous = rdp
        }
    }
}
