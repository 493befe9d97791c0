import Foundation
import Privacy
import StarlingCore
import StarlingProtocol
import XCTest

@testable import StarlingAgent

/// The device's privacy ledger: every private run is recorded before it trains, the budget is
/// enforced over the composition of all of them, and the ledger outlives the process.
final class PrivacyLedgerTests: XCTestCase {
    private func task(_ round: Int) -> RoundTask {
        RoundTask(
            runId: "rnd-ledger", round: round, model: "m", baseVersion: 1, sha256: "", localEpochs: 1,
            learningRate: 0.05, momentum: 0, batchSize: 16, deadline: Date().addingTimeInterval(60), seed: 1,
            privacy: PrivacyTask(mode: .local, epsilon: 2, delta: 1e-5, clipNorm: 1, rounds: 4))
    }

    private func admit(_ training: PrivateTraining, to ledger: PrivacyLedger, for task: RoundTask)
        async throws(AgentError)
    {
        try await ledger.admit(
            samplingRate: training.samplingRate, noiseMultiplier: training.noiseMultiplier, steps: training.steps,
            for: task)
    }

    func testRunsAreAdmittedUntilTheBudgetIsSpentThenRefusedWithTheReasonInTheStatus() async throws {
        let path = try makeTemporaryDirectory().appendingPathComponent("agent.sqlite")
        let budget = PrivacyBudget(epsilon: 2, delta: 1e-5)
        let ledger = PrivacyLedger(store: try AgentStore(path: path), budget: budget)
        let training = try PrivateTraining(
            task: task(1), privacy: try XCTUnwrap(task(1).privacy), trainingExamples: 160)
        XCTAssertEqual(training.samplingRate, 0.1)
        XCTAssertEqual(training.steps, 10)
        for round in 1...4 { try await admit(training, to: ledger, for: task(round)) }
        let spent = try await ledger.status()
        XCTAssertEqual(spent.runs, 4)
        XCTAssertLessThanOrEqual(spent.spentEpsilon, 2, "σ is calibrated so the run's four rounds fit ε = 2")
        XCTAssertGreaterThan(spent.spentEpsilon, 1.9)
        XCTAssertNil(spent.refusal)

        do {
            try await admit(training, to: ledger, for: task(5))
            XCTFail("a fifth round exceeds the budget")
        } catch {
            guard case .privacy(let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("privacy budget of ε = 2.0"), reason)
        }
        let refused = try await ledger.status()
        XCTAssertEqual(refused.runs, 4, "a refused run is not recorded")
        XCTAssertNotNil(refused.refusal)

        let reopened = PrivacyLedger(store: try AgentStore(path: path), budget: budget)
        let afterRestart = try await reopened.status()
        XCTAssertEqual(afterRestart.runs, 4, "the ledger survives a restart")
        XCTAssertEqual(afterRestart.spentEpsilon, spent.spentEpsilon, accuracy: 1e-12)
    }

    func testConcurrentAdmissionsNeverSpendMoreThanTheBudget() async throws {
        let path = try makeTemporaryDirectory().appendingPathComponent("agent.sqlite")
        let ledger = PrivacyLedger(store: try AgentStore(path: path), budget: PrivacyBudget(epsilon: 2, delta: 1e-5))
        let training = try PrivateTraining(
            task: task(1), privacy: try XCTUnwrap(task(1).privacy), trainingExamples: 160)
        let tasks = (1...8).map(task)
        let admitted = await withTaskGroup(of: Bool.self) { group in
            for task in tasks {
                group.addTask {
                    do {
                        try await ledger.admit(
                            samplingRate: training.samplingRate, noiseMultiplier: training.noiseMultiplier,
                            steps: training.steps, for: task)
                        return true
                    } catch {
                        return false
                    }
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        XCTAssertEqual(admitted, 4, "the budget fits four of the eight rounds asked for at once")
        let status = try await ledger.status()
        XCTAssertEqual(status.runs, 4)
        XCTAssertLessThanOrEqual(status.spentEpsilon, 2)
    }

    func testWithoutABudgetRunsAreStillRecordedAndCounted() async throws {
        let store = try AgentStore(path: try makeTemporaryDirectory().appendingPathComponent("agent.sqlite"))
        let ledger = PrivacyLedger(store: store, budget: nil)
        let training = try PrivateTraining(
            task: task(1), privacy: try XCTUnwrap(task(1).privacy), trainingExamples: 160)
        try await admit(training, to: ledger, for: task(1))
        let status = try await ledger.status()
        XCTAssertNil(status.budgetEpsilon)
        XCTAssertEqual(status.runs, 1)
        XCTAssertEqual(status.spentEpsilon, training.epsilon, accuracy: 1e-9)
    }

    func testUserLevelRoundsAreChargedAsOneUnsampledGaussianStepEach() async throws {
        let ledger = PrivacyLedger(
            store: try AgentStore(path: try makeTemporaryDirectory().appendingPathComponent("agent.sqlite")),
            budget: PrivacyBudget(epsilon: 2, delta: 1e-5))
        let sigma = try NoiseCalibration.noiseMultiplier(samplingRate: 1, steps: 3, epsilon: 2, delta: 1e-5)
        for round in 1...3 {
            try await ledger.admit(samplingRate: 1, noiseMultiplier: sigma, steps: 1, for: task(round))
        }
        let status = try await ledger.status()
        XCTAssertEqual(status.spentEpsilon, 2, accuracy: 1e-6, "three rounds calibrated for ε = 2 spend it")
        do {
            try await ledger.admit(samplingRate: 1, noiseMultiplier: sigma, steps: 1, for: task(4))
            XCTFail("a fourth user-level round exceeds the budget")
        } catch {
            guard case .privacy = error else { return XCTFail("\(error)") }
        }
    }
}
