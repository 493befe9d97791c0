import XCTest

@testable import Privacy

/// ε over the whole grid against dp-accounting's RdpAccountant and against the exact divergence.
final class LibraryAgreementTests: XCTestCase {
    /// Per-step RDP for each (q, σ) of the grid at `orders`, computed once.
    private func perStepCurves(
        _ points: [ReferenceVectors.Point], orders: [Double]
    ) throws -> [SampledGaussianMechanism: [Double]] {
        var curves: [SampledGaussianMechanism: [Double]] = [:]
        for point in points {
            let mechanism = try SampledGaussianMechanism(samplingRate: point.q, noiseMultiplier: point.sigma)
            if curves[mechanism] == nil { curves[mechanism] = orders.map { mechanism.rdp(order: $0) } }
        }
        return curves
    }

    private func guarantee(
        _ point: ReferenceVectors.Point, orders: [Double], curves: [SampledGaussianMechanism: [Double]]
    ) throws -> PrivacyGuarantee {
        let mechanism = try SampledGaussianMechanism(samplingRate: point.q, noiseMultiplier: point.sigma)
        let rdp = try XCTUnwrap(curves[mechanism]).map { Double(point.steps) * $0 }
        return RDPConversion.epsilon(orders: orders, rdp: rdp, delta: point.delta)
    }

    func testDefaultOrdersAreTheLibrarys() throws {
        XCTAssertEqual(RenyiOrders.default, try ReferenceVectors.load().defaultOrders)
        XCTAssertEqual(RenyiOrders.integers(upTo: 256), try ReferenceVectors.load().integerOrders)
    }

    func testIntegerOrdersMatchTheLibraryToOnePartInABillion() throws {
        let vectors = try ReferenceVectors.load()
        let orders = RenyiOrders.integers(upTo: 256)
        let curves = try perStepCurves(vectors.points, orders: orders)
        for point in vectors.points {
            let mine = try guarantee(point, orders: orders, curves: curves)
            let expected = try XCTUnwrap(point.integer.epsilon)
            assertClose(mine.epsilon, expected, relative: 1e-9, "\(point)")
            XCTAssertEqual(mine.order, point.integer.order, "\(point)")
        }
    }

    /// With the default orders the fractional ones come from the signed series, which is the exact
    /// divergence: ε matches ε from the integrated divergence, is never above the library's, and
    /// matches the library's wherever the library's looser series did not decide the result.
    func testDefaultOrdersMatchTheExactDivergenceAndNeverExceedTheLibrary() throws {
        let vectors = try ReferenceVectors.load()
        let orders = RenyiOrders.default
        let curves = try perStepCurves(vectors.points, orders: orders)
        for point in vectors.points {
            let mine = try guarantee(point, orders: orders, curves: curves)
            let exact = try XCTUnwrap(point.exactDefault.epsilon)
            let library = try XCTUnwrap(point.default.epsilon)
            assertClose(mine.epsilon, exact, relative: 1e-9, "\(point)")
            XCTAssertEqual(mine.order, point.exactDefault.order, "\(point)")
            // The library sums integer orders with an absolute rounding error near 1e-16 in log A_α, which
            // is up to about 1e-10 relative where A_α is barely above 1; this sum is exact to rounding.
            XCTAssertLessThanOrEqual(mine.epsilon, library * (1 + 1e-9), "\(point)")
            if abs(library - exact) <= 1e-6 * exact {
                assertClose(mine.epsilon, library, relative: 1e-6, "\(point)")
            }
        }
    }

    func testAccountantComposesStepsLikeTheLibrary() throws {
        let point = try XCTUnwrap(
            try ReferenceVectors.load().points.first { $0.q == 0.05 && $0.sigma == 1.5 && $0.steps == 10000 })
        var accountant = try PrivacyAccountant(orders: RenyiOrders.integers(upTo: 256))
        try accountant.compose(
            SampledGaussianMechanism(samplingRate: point.q, noiseMultiplier: point.sigma), steps: point.steps)
        let mine = try accountant.epsilon(delta: point.delta)
        assertClose(mine.epsilon, try XCTUnwrap(point.integer.epsilon), relative: 1e-9)
        XCTAssertEqual(mine.order, point.integer.order)
        XCTAssertEqual(mine.delta, point.delta)
    }

    func testDifferentEventsComposeByAddingTheirCurves() throws {
        let composition = try ReferenceVectors.load().composition
        var accountant = try PrivacyAccountant(orders: RenyiOrders.integers(upTo: 256))
        for event in composition.events {
            try accountant.compose(
                SampledGaussianMechanism(samplingRate: event.q, noiseMultiplier: event.sigma), steps: event.steps)
        }
        let mine = try accountant.epsilon(delta: composition.delta)
        assertClose(mine.epsilon, try XCTUnwrap(composition.integer.epsilon), relative: 1e-9)
        XCTAssertEqual(mine.order, composition.integer.order)
    }

    func testDeltaForEpsilonMatchesTheLibrary() throws {
        for point in try ReferenceVectors.load().delta {
            var accountant = try PrivacyAccountant(orders: RenyiOrders.integers(upTo: 256))
            try accountant.compose(
                SampledGaussianMechanism(samplingRate: point.q, noiseMultiplier: point.sigma), steps: point.steps)
            let mine = try accountant.delta(epsilon: point.epsilon)
            assertClose(mine.delta, point.delta, relative: 1e-9, "\(point)")
            XCTAssertEqual(mine.order, point.order, "\(point)")
        }
    }
}
