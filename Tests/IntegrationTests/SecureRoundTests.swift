import Foundation
import StarlingAdmin
import StarlingCore
import StarlingProtocol
import StarlingTransport
import XCTest

/// Rounds with secure aggregation over real agent processes: the result is FedAvg's, and the
/// round survives devices that vanish in the middle of the protocol.
final class SecureRoundTests: XCTestCase {
    private func finished(_ round: RunInfo, on aggregator: AggregatorHarness, timeout: Duration = .seconds(120))
        async throws -> RunInfo
    {
        let admin = aggregator.admin
        return try await Wait.until("round \(round.id) to end", timeout: timeout, interval: .milliseconds(100)) {
            guard let info = try? await admin.run(id: round.id), info.state.isFinal else { return nil as RunInfo? }
            return info
        }
    }

    private func parameters(_ version: Int, on aggregator: AggregatorHarness) async throws -> [Float] {
        try ModelBundle(decoding: try await aggregator.admin.weights(model: "sec", version: version)).model.parameters
    }

    func test_secureRound_producesTheModelPlainFedAvgProduces_onTheSameSeeds() async throws {
        let aggregator = try await AggregatorHarness.start(for: self)
        _ = try await aggregator.admin.createModel(CreateModelRequest(name: "sec", architecture: "64-16-10", seed: 3))
        try await aggregator.startAgents(3, rows: 120)
        func request(secure: Bool) -> StartRunRequest {
            StartRunRequest(
                model: "sec", baseVersion: 1, clients: 3, minClients: 3, localEpochs: 1, learningRate: 0.05, rounds: 1,
                deadlineSeconds: 60, seed: 5, secureAggregation: secure)
        }
        let secure = try await finished(try await aggregator.admin.startRun(request(secure: true)), on: aggregator)
        XCTAssertEqual(secure.state, .completed, secure.failureReason ?? "")
        XCTAssertTrue(secure.secureAggregation)
        XCTAssertEqual(secure.rounds.first?.updatesReceived, 3)
        let plain = try await finished(try await aggregator.admin.startRun(request(secure: false)), on: aggregator)
        XCTAssertEqual(plain.state, .completed, plain.failureReason ?? "")
        XCTAssertFalse(plain.secureAggregation)

        let base = try await parameters(1, on: aggregator)
        let viaSecAgg = try await parameters(try XCTUnwrap(secure.rounds.first?.producedVersion), on: aggregator)
        let viaFedAvg = try await parameters(try XCTUnwrap(plain.rounds.first?.producedVersion), on: aggregator)
        let moved = zip(viaFedAvg, base).map { abs($0 - $1) }.max() ?? 0
        let difference = zip(viaSecAgg, viaFedAvg).map { abs($0 - $1) }.max() ?? .infinity
        XCTAssertGreaterThan(moved, 1e-3, "the round must have changed the model for the comparison to mean anything")
        // Fixed-point error: 3 summands of 2^-30-wide units over a total weight of ~0.03, plus float rounding.
        XCTAssertLessThan(difference, 1e-5, "secure aggregation must give FedAvg's weights up to the fixed-point error")
        let versions = try await aggregator.admin.versions(model: "sec")
        XCTAssertEqual(versions.map(\.metrics.trainSamples)[1], versions.map(\.metrics.trainSamples)[2])
    }

    func test_aCohortSplitIntoSecureGroups_producesTheModelPlainFedAvgProduces() async throws {
        let aggregator = try await AggregatorHarness.start(for: self)
        _ = try await aggregator.admin.createModel(CreateModelRequest(name: "sec", architecture: "64-16-10", seed: 5))
        try await aggregator.startAgents(6, rows: 100)
        func request(secure: Bool) -> StartRunRequest {
            StartRunRequest(
                model: "sec", baseVersion: 1, clients: 6, minClients: 6, localEpochs: 1, learningRate: 0.05, rounds: 1,
                deadlineSeconds: 60, seed: 8, secureAggregation: secure, secureAggregationGroupSize: secure ? 3 : nil)
        }
        let grouped = try await finished(try await aggregator.admin.startRun(request(secure: true)), on: aggregator)
        XCTAssertEqual(grouped.state, .completed, grouped.failureReason ?? "")
        XCTAssertEqual(grouped.rounds.first?.updatesReceived, 6, "both groups of three are summed")
        let plain = try await finished(try await aggregator.admin.startRun(request(secure: false)), on: aggregator)
        XCTAssertEqual(plain.state, .completed, plain.failureReason ?? "")

        let viaGroups = try await parameters(try XCTUnwrap(grouped.rounds.first?.producedVersion), on: aggregator)
        let viaFedAvg = try await parameters(try XCTUnwrap(plain.rounds.first?.producedVersion), on: aggregator)
        let moved = zip(viaFedAvg, try await parameters(1, on: aggregator)).map { abs($0 - $1) }.max() ?? 0
        XCTAssertGreaterThan(moved, 1e-3, "the round must have changed the model for the comparison to mean anything")
        let difference = zip(viaGroups, viaFedAvg).map { abs($0 - $1) }.max() ?? .infinity
        XCTAssertLessThan(difference, 1e-5, "the group sums added together must be the cohort's FedAvg")
    }

    func test_killingTwoOfEightAgentsMidRound_stillCompletesIt() async throws {
        let aggregator = try await AggregatorHarness.start(for: self)
        _ = try await aggregator.admin.createModel(CreateModelRequest(name: "sec", architecture: "64-16-10", seed: 4))
        try await aggregator.startAgents(8, rows: 100)
        let round = try await aggregator.admin.startRun(
            StartRunRequest(
                model: "sec", clients: 8, minClients: 4, localEpochs: 1, learningRate: 0.05, rounds: 1,
                deadlineSeconds: 12, seed: 9))
        let admin = aggregator.admin
        _ = try await Wait.until("the cohort to be chosen", timeout: .seconds(30), interval: .milliseconds(20)) {
            (try? await admin.run(id: round.id))?.rounds.first.flatMap { $0.cohortSize == 8 ? true : nil }
        }
        for index in [2, 5] {
            await aggregator.fleet.processes.member(named: "agent-\(index)")?.killAbruptly()
        }
        let ended = try await finished(round, on: aggregator)
        XCTAssertEqual(ended.state, .completed, ended.failureReason ?? "")
        XCTAssertEqual(ended.rounds.first?.updatesReceived, 6, "the six live agents are summed")
        XCTAssertEqual(ended.rounds.first?.producedVersion, 2)
    }
}
