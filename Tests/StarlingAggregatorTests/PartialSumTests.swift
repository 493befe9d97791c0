import Foundation
import StarlingCore
import XCTest

@testable import StarlingAggregator

/// Replicas' partial sums, added in any grouping, give the FedAvg mean the leader would get from
/// every update one by one, with a buffered run's staleness weighting and discount.
final class PartialSumTests: XCTestCase {
    func test_partialSumsSplitAcrossReplicas_giveTheWeightedMeanOfEveryUpdate() throws {
        var generator = SeededRNG(seed: 41)
        let count = 257
        let entries = (0..<9).map { index in
            PartialSum.Entry(
                device: "d\(index)", weight: Int.random(in: 1...500, using: &generator),
                staleness: index % 3,
                delta: (0..<count).map { _ in Float.random(in: -2...2, using: &generator) })
        }
        var replicas = [PartialSum(), PartialSum(), PartialSum()]
        for (index, entry) in entries.enumerated() { replicas[(index * 7) % 3].add(entry) }
        let combined = PartialSum.combined(replicas)
        XCTAssertEqual(Set(combined.devices), Set(entries.map(\.device)))
        XCTAssertEqual(combined.weight, entries.reduce(0) { $0 + $1.weight })

        let weights = entries.map(\.weight)
        let scaled = entries.map { StalenessWeight.scaled($0.weight, staleness: $0.staleness) }
        let mean = try RobustAggregation.aggregate(
            zip(scaled, entries).map { (weight: $0, delta: $1.delta) }, rule: .mean)
        let discount = Float(StalenessWeight.discount(weights: weights, scaled: scaled))
        let average = try combined.averageDelta(parameterCount: count)
        for (got, want) in zip(average, mean) { XCTAssertEqual(got, want * discount, accuracy: 1e-5) }
    }

    func test_aStoredSum_readsBackBitForBit_andAWrongLengthIsRefused() throws {
        var sum = PartialSum()
        sum.add(.init(device: "d", weight: 3, staleness: 0, delta: [0.1, -7.25, .leastNonzeroMagnitude]))
        XCTAssertEqual(PartialSum.values(of: Array(sum.sumBytes)), sum.sum)
        XCTAssertNil(PartialSum.values(of: [1, 2, 3]))
        XCTAssertThrowsError(try sum.averageDelta(parameterCount: 4))
        XCTAssertThrowsError(try PartialSum().averageDelta(parameterCount: 0), "no update carries weight")
    }
}
