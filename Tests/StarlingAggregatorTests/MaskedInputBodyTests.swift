import StarlingProtocol
import XCTest

@testable import StarlingAggregator

/// A masked input read part by part gives the same words wherever the parts split it, and a body
/// that is not whole words or is longer than the vector its round expects is refused with the code
/// a device is told.
final class MaskedInputBodyTests: XCTestCase {
    private let words: [UInt32] = [0, 1, 0xDEAD_BEEF, 0xFFFF_FFFF, 0x0102_0304, 77]

    private var wire: [UInt8] { words.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> ($0 * 8)) } } }

    private func read(_ parts: [[UInt8]], expected: Int = 6) throws -> [UInt32] {
        var body = MaskedInputBody(expected: expected)
        for part in parts { try part.withUnsafeBytes { raw in try body.take(raw) } }
        return try body.finished()
    }

    func testEveryWayOfSplittingTheBodyInThreeGivesTheSameWords() throws {
        let wire = wire
        for first in 0...wire.count {
            for second in first...wire.count {
                let parts = [Array(wire[..<first]), Array(wire[first..<second]), Array(wire[second...])]
                XCTAssertEqual(try read(parts), words, "split at \(first) and \(second)")
            }
        }
        XCTAssertEqual(try read(wire.map { [$0] }), words, "a byte at a time")
    }

    func testABodyThatIsNotWholeWordsIsRefused() {
        XCTAssertThrowsError(try read([Array(wire.dropLast())])) { error in
            XCTAssertEqual((error as? APIError)?.code, .secaggInvalidMessage)
        }
    }

    func testABodyLongerThanTheExpectedVectorIsRefused() {
        XCTAssertThrowsError(try read([Array(wire.prefix(8)), Array(wire.dropFirst(8))], expected: 5)) { error in
            XCTAssertEqual((error as? APIError)?.code, .secaggInvalidMessage)
            XCTAssertEqual((error as? APIError)?.status.code, 400)
        }
        XCTAssertEqual(try read([Array(wire.prefix(8)), Array(wire.dropFirst(8))], expected: 6), words)
    }
}
