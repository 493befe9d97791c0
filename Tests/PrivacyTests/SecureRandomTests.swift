import XCTest

@testable import Privacy

/// The stream is AES-256-CTR from counter 0, reproducible from a key and different across keys.
final class SecureRandomTests: XCTestCase {
    /// Keystream words under the key 00 01 … 1f, from Vectors/make_keystream_vectors.py.
    private let knownWords: [(index: Int, word: UInt64)] = [
        (0, 0xd09f_492a_b600_90f2),
        (1, 0x8077_2edd_6a9a_f3a9),
        (4095, 0x944c_1a1f_ab59_e213),
        (4096, 0x12c3_68fc_66c0_1bbf),
        (4097, 0xff43_0bec_39e9_e077),
        (8192, 0x5fb2_a758_6a79_c177),
        (16384, 0x1e7a_c417_79f0_cc56),
    ]

    func testTheStreamIsTheAESCounterModeKeystreamAcrossBlocks() {
        var random = SecureRandom(key: Array(0..<32))
        var words: [UInt64] = []
        for _ in 0...16384 { words.append(random.next()) }
        for (index, word) in knownWords {
            XCTAssertEqual(words[index], word, "word \(index)")
        }
    }

    func testAKeyReproducesItsStreamAndOtherKeysDiffer() {
        var first = SecureRandom(key: [UInt8](repeating: 5, count: 32))
        var again = SecureRandom(key: [UInt8](repeating: 5, count: 32))
        var other = SecureRandom(key: [UInt8](repeating: 6, count: 32))
        var same = 0
        var shared = 0
        for _ in 0..<20_000 {
            let word = first.next()
            if word == again.next() { same += 1 }
            if word == other.next() { shared += 1 }
        }
        XCTAssertEqual(same, 20_000)
        XCTAssertEqual(shared, 0)
        var noise = [Float](repeating: 0, count: 5000)
        var noiseAgain = noise
        GaussianNoise.add(standardDeviation: 1, to: &noise, using: &first)
        GaussianNoise.add(standardDeviation: 1, to: &noiseAgain, using: &again)
        XCTAssertEqual(noise, noiseAgain)
    }

    func testStreamsFromSystemEntropyDiffer() {
        var first = SecureRandom()
        var second = SecureRandom()
        XCTAssertNotEqual([first.next(), first.next()], [second.next(), second.next()])
    }

    func testACopyContinuesIndependently() {
        var original = SecureRandom(key: [UInt8](repeating: 8, count: 32))
        _ = original.next()
        var copy = original
        let fromCopy = (0..<100).map { _ in copy.next() }
        let fromOriginal = (0..<100).map { _ in original.next() }
        XCTAssertEqual(fromCopy, fromOriginal)
    }

    func testBlockCountersCarryPastThirtyTwoBits() {
        let zeros = { (count: Int) in [UInt8](repeating: 0, count: count) }
        XCTAssertEqual(SecureRandom.firstCounter(ofBlock: 0), zeros(16))
        XCTAssertEqual(SecureRandom.firstCounter(ofBlock: 1), zeros(14) + [0x08, 0], "2048 counters a block")
        XCTAssertEqual(SecureRandom.firstCounter(ofBlock: 1 << 21), zeros(11) + [1] + zeros(4), "block 2^21 at 2^32")
        let last = [0, 0, 0, 0, 0, 0, 0x07, 0xFF] + [UInt8](repeating: 0xFF, count: 6) + [0xF8, 0]
        XCTAssertEqual(SecureRandom.firstCounter(ofBlock: .max), last)
    }
}
