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
}
