import XCTest

@testable import SecureAggregation

final class BufferedSystemRandomTests: XCTestCase {
    /// Draws run on past one buffer of the kernel's bytes into the next, and neither repeat within a
    /// generator nor match another generator's: 64-bit words from a working source never do.
    func testDrawsGoOnAcrossRefillsWithoutRepeating() {
        var first = BufferedSystemRandom()
        var second = BufferedSystemRandom()
        let a = (0..<100).map { _ in first.next() }
        let b = (0..<100).map { _ in second.next() }
        XCTAssertEqual(Set(a).count, 100)
        XCTAssertTrue(Set(a).isDisjoint(with: b))
        // Every bit position takes both values over 100 words.
        XCTAssertEqual(a.reduce(0, |), UInt64.max)
        XCTAssertEqual(a.reduce(UInt64.max, &), 0)
    }
}
