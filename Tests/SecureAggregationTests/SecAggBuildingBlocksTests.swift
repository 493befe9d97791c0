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
            XCTAssertEqual(graph.neighbours(of: client).count, parameters.neighbourCount)
            XCTAssertFalse(graph.neighbours(of: client).contains(client))
            for peer in graph.neighbours(of: client) { XCTAssertTrue(graph.areNeighbours(peer, client)) }
        }
        let lists = { (graph: NeighbourGraph) in (0..<200).map { graph.neighbours(of: $0) } }
        XCTAssertEqual(lists(NeighbourGraph(parameters)), lists(graph))
        var reseeded = parameters
        reseeded.graphSeed = 78
        XCTAssertNotEqual(lists(NeighbourGraph(reseeded)), lists(graph))
        let small = try SecAggParameters(
            roundId: "g", clientCount: 6, threshold: 4, vectorLength: 1, clippingRange: 1, graphSeed: 1)
        XCTAssertEqual(NeighbourGraph(small).neighbours(of: 2), [0, 1, 3, 4, 5])
    }

    /// Every party of every version must build the same graph: the one written out in full from
    /// its definition (a seeded shuffle, each client joined to the k/2 on either side), with share
    /// points numbering each client's sorted neighbourhood from 1.
    func testNeighbourGraphAnswersAsItsListsWrittenOutInFull() throws {
        for (clients, threshold) in [(7, 5), (60, 40), (200, 134), (301, 150)] {
            let parameters = try SecAggParameters(
                roundId: "g", clientCount: clients, threshold: threshold, vectorLength: 1, clippingRange: 1,
                graphSeed: UInt64(clients))
            let graph = NeighbourGraph(parameters)
            let written = Self.writtenOut(parameters)
            for owner in 0..<clients {
                XCTAssertEqual(graph.neighbours(of: owner), written[owner])
                let holders = (written[owner] + [owner]).sorted()
                XCTAssertEqual(graph.holders(of: owner), holders)
                for other in 0..<clients {
                    XCTAssertEqual(graph.areNeighbours(owner, other), written[owner].contains(other))
                    XCTAssertEqual(
                        graph.sharePoint(owner: owner, holder: other),
                        holders.firstIndex(of: other).map { UInt8($0 + 1) })
                }
            }
            XCTAssertEqual(graph.neighbours(of: clients), [])
            XCTAssertFalse(graph.areNeighbours(-1, 0))
            XCTAssertFalse(graph.areNeighbours(0, clients))
            XCTAssertNil(graph.sharePoint(owner: clients, holder: clients))
            XCTAssertNil(graph.sharePoint(owner: 0, holder: -1))
        }
    }

    private static func writtenOut(_ parameters: SecAggParameters) -> [[Int]] {
        let (n, k) = (parameters.clientCount, parameters.neighbourCount)
        guard k < n - 1 else { return (0..<n).map { client in (0..<n).filter { $0 != client } } }
        var order = Array(0..<n)
        var rng = SeededRNG(seed: parameters.graphSeed)
        rng.shuffle(&order)
        var lists = [[Int]](repeating: [], count: n)
        for position in 0..<n {
            lists[order[position]] = (1...(k / 2)).flatMap { step in
                [order[(position + step) % n], order[(position - step + n) % n]]
            }.sorted()
        }
        return lists
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
