import StarlingCore
import XCTest

@testable import SecureAggregation

final class SecAggProtocolTests: XCTestCase {
    private func inputs(_ parameters: SecAggParameters, seed: UInt64) -> [[UInt32]] {
        var rng = SeededRNG(seed: seed)
        let top = UInt32((UInt64(1) << parameters.fixedPointBits) - 1)
        return (0..<parameters.clientCount).map { _ in
            (0..<parameters.vectorLength).map { _ in UInt32.random(in: 0...top, using: &rng) }
        }
    }

    private func expectedSum(_ inputs: [[UInt32]], over clients: [Int]) -> [UInt32] {
        clients.reduce(into: [UInt32](repeating: 0, count: inputs[0].count)) { sum, client in
            for index in sum.indices { sum[index] &+= inputs[client][index] }
        }
    }

    /// Random dropouts before a random stage, at most n − t in all (full graph) or at most
    /// k + 1 − shareThreshold (sparse graph, so every neighbourhood keeps enough holders).
    private func randomDropouts(_ parameters: SecAggParameters, rng: inout SeededRNG) -> [SecAggStage: Set<Int>] {
        let sparse = parameters.neighbourCount < parameters.clientCount - 1
        let budget =
            sparse
            ? min(
                parameters.clientCount - parameters.threshold, parameters.neighbourCount + 1 - parameters.shareThreshold
            )
            : parameters.clientCount - parameters.threshold
        var clients = Array(0..<parameters.clientCount)
        rng.shuffle(&clients)
        var dropouts: [SecAggStage: Set<Int>] = [:]
        for client in clients.prefix(rng.nextInt(below: budget + 1)) {
            dropouts[SecAggStage.allCases[rng.nextInt(below: 4)], default: []].insert(client)
        }
        return dropouts
    }

    func testUnmaskedSumIsTheExactSumOfSurvivorsOnTheFullGraphWithDropoutsAtEveryStage() throws {
        var rng = SeededRNG(seed: 21)
        for trial in 0..<40 {
            let n = 1 + rng.nextInt(below: 12)
            let t = 1 + rng.nextInt(below: n)
            let parameters = try SecAggParameters(
                roundId: "trial-\(trial)", clientCount: n, threshold: t, vectorLength: 1 + rng.nextInt(below: 300),
                clippingRange: 1, graphSeed: rng.next())
            let values = inputs(parameters, seed: rng.next())
            let dropouts = randomDropouts(parameters, rng: &rng)
            let outcome = try SecAggSimulation(parameters: parameters, dropouts: dropouts).run { values[$0] }
            let vanishedBeforeUnmasking = (dropouts[.advertiseKeys] ?? []).union(dropouts[.shareKeys] ?? [])
                .union(dropouts[.maskedInput] ?? [])
            let survivors = (0..<n).filter { !vanishedBeforeUnmasking.contains($0) }
            XCTAssertEqual(outcome.survivors, survivors, "trial \(trial)")
            XCTAssertEqual(
                outcome.sum, expectedSum(values, over: survivors), "trial \(trial): n \(n), t \(t), \(dropouts)")
        }
    }

    func testUnmaskedSumIsExactOnSparseGraphsWithRandomKAndDropouts() throws {
        var rng = SeededRNG(seed: 22)
        for trial in 0..<6 {
            let n = 33 + rng.nextInt(below: 60)
            let t = (2 * n + 2) / 3
            let k = 2 * (2 + rng.nextInt(below: 8))
            let parameters = try SecAggParameters(
                roundId: "sparse-\(trial)", clientCount: n, threshold: t, vectorLength: 1 + rng.nextInt(below: 200),
                clippingRange: 1, graphSeed: rng.next(), neighbourCount: k)
            XCTAssertEqual(parameters.neighbourCount, k)
            let values = inputs(parameters, seed: rng.next())
            let dropouts = randomDropouts(parameters, rng: &rng)
            let outcome = try SecAggSimulation(parameters: parameters, dropouts: dropouts).run { values[$0] }
            XCTAssertEqual(outcome.sum, expectedSum(values, over: outcome.survivors), "trial \(trial): n \(n), k \(k)")
            let vanished = dropouts.filter { $0.key != .unmasking }.values.reduce(into: Set<Int>()) { $0.formUnion($1) }
            XCTAssertEqual(Set(outcome.survivors), Set(0..<n).subtracting(vanished))
        }
    }

    func testDefaultParametersAggregateAHundredClientsWithTenPercentDroppingAfterSharingKeys() throws {
        let parameters = try SecAggParameters(
            roundId: "hundred", clientCount: 100, threshold: 67, vectorLength: 64, clippingRange: 1, graphSeed: 5)
        XCTAssertEqual(parameters.neighbourCount, 20)
        XCTAssertEqual(parameters.shareThreshold, 15)
        let values = inputs(parameters, seed: 6)
        let dropped = Set(stride(from: 3, to: 100, by: 10))
        let outcome = try SecAggSimulation(parameters: parameters, dropouts: [.maskedInput: dropped]).run { values[$0] }
        XCTAssertEqual(outcome.sum, expectedSum(values, over: (0..<100).filter { !dropped.contains($0) }))
    }

    func testFewerThanThresholdSurvivorsAbortTheAggregation() throws {
        let parameters = try SecAggParameters(
            roundId: "abort", clientCount: 8, threshold: 5, vectorLength: 4, clippingRange: 1, graphSeed: 1)
        let values = inputs(parameters, seed: 2)
        for stage in SecAggStage.allCases {
            let simulation = SecAggSimulation(parameters: parameters, dropouts: [stage: [0, 2, 4, 6]])
            XCTAssertThrowsError(try simulation.run { values[$0] }, "dropouts before \(stage)") { error in
                XCTAssertEqual(error as? SecAggError, .tooFewSurvivors(stage: stage, survivors: 4, threshold: 5))
            }
        }
    }

    func testParametersKeepTheCohortSumFromWrapping() throws {
        XCTAssertEqual(
            try SecAggParameters(
                roundId: "r", clientCount: 8, threshold: 5, vectorLength: 1, clippingRange: 1, graphSeed: 0
            ).fixedPointBits, 28)
        let thousand = try SecAggParameters(
            roundId: "r", clientCount: 1000, threshold: 667, vectorLength: 1, clippingRange: 1, graphSeed: 0)
        XCTAssertEqual(thousand.fixedPointBits, 22)
        XCTAssertEqual(thousand.neighbourCount, 30)
        XCTAssertLessThan(UInt64(1000) * ((UInt64(1) << 22) - 1), UInt64(1) << 32)
        XCTAssertThrowsError(
            try SecAggParameters(
                roundId: "r", clientCount: 8, threshold: 9, vectorLength: 1, clippingRange: 1, graphSeed: 0))
        XCTAssertThrowsError(
            try SecAggParameters(
                roundId: "a|b", clientCount: 8, threshold: 4, vectorLength: 1, clippingRange: 1, graphSeed: 0))
        XCTAssertThrowsError(
            try SecAggParameters(
                roundId: "r", clientCount: 40, threshold: 30, vectorLength: 1, clippingRange: 1, graphSeed: 0,
                neighbourCount: 7))
    }
}
