import Foundation
import XCTest

@testable import Privacy

final class LogSpaceTests: XCTestCase {
    func testAddAndSubtract() {
        assertClose(LogSpace.add(log(2), log(3)), log(5), relative: 1e-15)
        XCTAssertEqual(LogSpace.add(-.infinity, 1.5), 1.5)
        assertClose(LogSpace.add(1000, 1000), 1000 + log(2), relative: 1e-15)
        assertClose(LogSpace.subtract(log(5), log(3)), log(2), relative: 1e-15)
        XCTAssertEqual(LogSpace.subtract(2, 2), -.infinity)
        XCTAssertEqual(LogSpace.subtract(2, -.infinity), 2)
        assertClose(LogSpace.sum([log(1), log(2), log(3), -.infinity]), log(6), relative: 1e-15)
    }

    /// Continuous across the switch to the asymptotic series, and right far beyond where erfc underflows
    /// (log erfc(x) = −x² − log(x√π) − 1/(2x²) + O(x⁻⁴)).
    func testErfc() {
        assertClose(LogSpace.erfc(0), 0, relative: 0, absolute: 1e-16)
        assertClose(LogSpace.erfc(-30), log(2), relative: 1e-15)
        assertClose(LogSpace.erfc(3), log(erfc(3)), relative: 1e-15)
        assertClose(LogSpace.erfc(25.0.nextDown), LogSpace.erfc(25), relative: 1e-14)
        let x = 1000.0
        assertClose(LogSpace.erfc(x), -x * x - log(x * Double.pi.squareRoot()) - 1 / (2 * x * x), relative: 1e-15)
    }

    /// 1 − 1/2 + 1/3 − … = log 2, whose terms shrink only like 1/k.
    func testAlternatingSeriesAcceleration() {
        let magnitudes = (0..<AlternatingSeries.termCount).map { 1 / Double($0 + 1) }
        assertClose(AlternatingSeries.sum(magnitudes), log(2), relative: 1e-15)
    }

    func testBinomial() {
        assertClose(LogSpace.binomial(10, 3), log(120), relative: 1e-14)
        // C(1.5, 3) = 1.5 · 0.5 · (−0.5) / 6
        assertClose(LogSpace.binomial(1.5, 3), log(0.0625), relative: 1e-14)
    }
}
