import Crypto
import CryptoExtras
import StarlingCore
import XCTest

@testable import SecureAggregation

final class SecAggBuildingBlocksTests: XCTestCase {
    func testMaskExpansionInChunksEqualsOneAESCTRKeystream() throws {
        let seed = SymmetricKey(size: .bits128)
        let length = 40_000
        var vector = [UInt32](repeating: 0, count: length)
        try MaskGenerator().apply(seed: seed, .add, to: &vector)
        let keystream = try AES._CTR.encrypt(
            [UInt8](repeating: 0, count: length * 4), using: seed,
            nonce: AES._CTR.Nonce(nonceBytes: [UInt8](repeating: 0, count: 16)))
        let expected = (0..<length).map { index in
            keystream.withUnsafeBytes {
                UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self))
            }
        }
        XCTAssertEqual(vector, expected)
        try MaskGenerator().apply(seed: seed, .subtract, to: &vector)
        XCTAssertEqual(vector, [UInt32](repeating: 0, count: length))
    }

    func testNeighbourGraphIsSymmetricRegularAndFixedByItsSeed() throws {
        let parameters = try SecAggParameters(
            roundId: "g", clientCount: 200, threshold: 134, vectorLength: 1, clippingRange: 1, graphSeed: 77)
        let graph = NeighbourGraph(parameters)
        for client in 0..<200 {
            XCTAssertEqual(graph.neighbours[client].count, parameters.neighbourCount)
            XCTAssertFalse(graph.neighbours[client].contains(client))
            for peer in graph.neighbours[client] { XCTAssertTrue(graph.areNeighbours(peer, client)) }
        }
        XCTAssertEqual(NeighbourGraph(parameters).neighbours, graph.neighbours)
        var reseeded = parameters
        reseeded.graphSeed = 78
        XCTAssertNotEqual(NeighbourGraph(reseeded).neighbours, graph.neighbours)
        let small = try SecAggParameters(
            roundId: "g", clientCount: 6, threshold: 4, vectorLength: 1, clippingRange: 1, graphSeed: 1)
        XCTAssertEqual(NeighbourGraph(small).neighbours[2], [0, 1, 3, 4, 5])
    }

    func testFixedPointEncodingIsUnbiasedClippedAndDecodesSumsWithinItsBound() {
        let codec = FixedPointCodec(clippingRange: 0.5, bits: 20)
        var rng = SeededRNG(seed: 3)
        let values: [Float] = [-0.5, -0.123, 0, 0.25, 0.4999, 3, -7]
        var sum = [UInt32](repeating: 0, count: values.count)
        let clients = 500
        for _ in 0..<clients {
            let encoded = codec.encode(values, using: &rng)
            for index in sum.indices { sum[index] &+= encoded[index] }
        }
        let decoded = codec.decodeSum(sum, summands: clients)
        let clipped = values.map { Double(min(max($0, -0.5), 0.5)) * Double(clients) }
        for (got, want) in zip(decoded, clipped) {
            XCTAssertEqual(got, want, accuracy: codec.maximumError(summands: clients))
        }
        XCTAssertEqual(
            decoded[1], clipped[1], accuracy: 0.05 * codec.maximumError(summands: clients),
            "stochastic rounding is unbiased")
    }

    func testEncodingScaledValuesAndATailEqualsEncodingTheVectorBuiltFromThem() {
        let codec = FixedPointCodec(clippingRange: 2, bits: 24)
        let values: [Float] = [-1.5, 0.3, .nan, 1e30, 0.75, -0.001]
        let tail: [Float] = [0.5, -3, 1]
        var fused = SeededRNG(seed: 9)
        var built = SeededRNG(seed: 9)
        XCTAssertEqual(
            codec.encode(values, scaledBy: 0.25, then: tail, using: &fused),
            codec.encode(values.map { 0.25 * $0 } + tail, using: &built))
        XCTAssertEqual(fused.next(), built.next(), "both drew as many random numbers")
    }

    func testEightValuesAtATimeEncodeAsOneAtATime() {
        var values = SeededRNG(seed: 5)
        let specials: [Float] = [.nan, .infinity, -.infinity, 0, -0.0, 1.5, -1.5, 1.4999999, .ulpOfOne, 3e38]
        for bits in [16, 24, 31, 32] {
            let codec = FixedPointCodec(clippingRange: 1.5, bits: bits)
            for length in [0, 1, 7, 8, 9, 16, 17, 1003] {
                let head = (0..<length).map { index in
                    index % 5 == 0
                        ? specials[index % specials.count] : Float(Double(values.next() % 4000) / 1000 - 2)
                }
                let tail: [Float] = [0.5, -3]
                var fast = SeededRNG(seed: UInt64(length * 100 + bits))
                var slow = fast
                let encoded = codec.encode(head, scaledBy: 0.75, then: tail, using: &fast)
                let inputs = head.map { 0.75 * $0 } + tail
                var expected: [UInt32] = []
                var index = 0
                while index < inputs.count {
                    let random = slow.next()
                    expected.append(codec.word(inputs[index], uniform: UInt32(truncatingIfNeeded: random)))
                    if index + 1 < inputs.count {
                        expected.append(
                            codec.word(inputs[index + 1], uniform: UInt32(truncatingIfNeeded: random >> 32)))
                    }
                    index += 2
                }
                XCTAssertEqual(encoded, expected, "\(bits) bits, \(length) values")
                XCTAssertEqual(fast.next(), slow.next(), "both drew as many random numbers")
            }
        }
    }
}
