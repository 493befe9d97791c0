import Foundation
import StarlingAdmin
import StarlingCore
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

/// The aggregator killed with SIGKILL and restarted on its data folder, again and again, while
/// real agents train: runs are taken up where they stood and finish with the rounds they were
/// asked for, each round's version registered once, and the agents carry on by themselves.
final class KillAtRandomTests: XCTestCase {
    /// The stages each run is killed in, in order, and again in later rounds when the run went
    /// past one before it was seen. A run waits for devices at its start, until the coordinator's
    /// next tick; between rounds only when too few devices are online, since a round's end starts
    /// the next at once, so the wait is killed at the start.
    private static let plainStages: [RoundStage] = [
        .waitingForDevices, .collecting, .aggregating, .collecting, .aggregating, .collecting,
    ]
    private static let secureStages: [RoundStage] = [
        .waitingForDevices, .advertiseKeys, .shareKeys, .maskedInput, .unmasking, .aggregating,
    ]
    private static let bufferedStages: [RoundStage] = [.collecting, .aggregating, .collecting]

    /// The kinds of run the test kills: plain and secure rounds, and buffered asynchronous runs
    /// with plain updates and with SecAgg+ groups.
    private enum Flavour: CaseIterable {
        case plain, secure, buffered, secureBuffered

        var stages: [RoundStage] {
            switch self {
            case .plain: KillAtRandomTests.plainStages
            case .secure: KillAtRandomTests.secureStages
            case .buffered, .secureBuffered: KillAtRandomTests.bufferedStages
            }
        }

        var isSecure: Bool { self == .secure || self == .secureBuffered }
        var isBuffered: Bool { self == .buffered || self == .secureBuffered }
    }

    func test_plainSecureAndBufferedRuns_killedAtSeededMomentsInEveryStage_finishWithEachRoundsVersionOnce()
        async throws
    {
        var aggregator = try await AggregatorHarness.start(for: self)
        _ = try await aggregator.admin.createModel(
            CreateModelRequest(name: "sturdy", architecture: "64-128-64-10", seed: 1))
        try await aggregator.startAgents(4, rows: 120)
        var random = SeededRNG(seed: 2026)
        var killed: [RoundStage] = []
        for flavour in Flavour.allCases {
            let rounds = 6
            // Secure buffers are groups of two, so that two run side by side on four devices.
            let buffer = flavour == .secureBuffered ? 2 : 3
            let run = try await aggregator.admin.startRun(
                StartRunRequest(
                    model: "sturdy", clients: 4, minClients: min(3, buffer), localEpochs: 2, rounds: rounds,
                    deadlineSeconds: 120, seed: 11, secureAggregation: flavour.isSecure,
                    mode: flavour.isBuffered ? .async : nil, buffer: flavour.isBuffered ? buffer : nil))
            for (index, stage) in flavour.stages.enumerated() {
                // A new run waits for devices until the coordinator's next tick, too short a time for
                // polling on a loaded machine: its answer says it waits, and the kill follows it.
                if index == 0, stage == .waitingForDevices {
                    XCTAssertEqual(run.stage, .waitingForDevices)
                } else {
                    guard try await Self.reach(stage, of: run.id, admin: aggregator.admin) else { break }
                }
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...15, using: &random)))
                aggregator = try await aggregator.crashAndRestart(for: self)
                killed.append(stage)
            }
            let admin = aggregator.admin
            let finished = try await Wait.until("run \(run.id) to end", timeout: .seconds(300)) {
                guard let info = try? await admin.run(id: run.id), info.state.isFinal else { return nil as RunInfo? }
                return info
            }
            XCTAssertEqual(finished.state, .completed, finished.failureReason ?? "")
            XCTAssertEqual(finished.rounds.map(\.round), Array(1...rounds))
            XCTAssertTrue(finished.rounds.allSatisfy { $0.state == .completed }, "\(finished.rounds)")
            let produced = try await admin.versions(model: "sturdy").filter { $0.lineage.runId == run.id }
            XCTAssertEqual(
                produced.compactMap(\.lineage.round).sorted(), Array(1...rounds),
                "every round registered exactly one version")
            XCTAssertEqual(finished.rounds.compactMap(\.producedVersion), produced.map(\.version))
            if flavour == .secure {
                XCTAssertGreaterThan(
                    finished.rounds.map(\.attempt).max() ?? 0, 1, "a secure round was done again after a kill")
            }
        }
        XCTAssertGreaterThanOrEqual(killed.count, 18, "killed in \(killed)")
        XCTAssertEqual(
            Set(killed), Set(Flavour.allCases.flatMap(\.stages)), "every stage saw a kill: \(killed)")
    }

    func test_anUpdateAcceptedBeforeAKill_countsInTheRoundAfterTheRestart() async throws {
        let aggregator = try await AggregatorHarness.start(for: self)
        _ = try await aggregator.admin.createModel(CreateModelRequest(name: "kept", architecture: "4-3-2", seed: 1))
        let first = try await aggregator.enrollDevice()
        let second = try await aggregator.enrollDevice()
        for device in [first, second] { _ = try await device.watch() }
        let run = try await aggregator.admin.startRun(
            StartRunRequest(
                model: "kept", clients: 2, minClients: 2, rounds: 1, deadlineSeconds: 120, seed: 3,
                secureAggregation: false))
        let task = try await first.nextTask()
        XCTAssertEqual(task.runId, run.id)
        let path = APIPath.deviceUpdate(runId: task.runId, round: task.round)
        let architecture = try ModelArchitecture(parsing: "4-3-2")
        let _: UpdateReceipt = try await first.client.post(path, bytes: UpdateBody.make(architecture, value: 0.5))

        let restarted = try await aggregator.crashAndRestart(for: self)
        let taken: RunInfo = try await restarted.admin.run(id: run.id)
        XCTAssertEqual(taken.stage, .collecting)
        XCTAssertEqual(taken.rounds.first?.updatesReceived, 1, "the accepted update survived the kill")
        await assertAPIError(status: 409, code: "duplicate_update") {
            let _: UpdateReceipt = try await first.client.post(path, bytes: UpdateBody.make(architecture, value: 0.5))
        }
        let _: UpdateReceipt = try await second.client.post(path, bytes: UpdateBody.make(architecture, value: 0.1))
        let admin = restarted.admin
        let finished = try await Wait.until("the run to end", timeout: .seconds(60)) {
            guard let info = try? await admin.run(id: run.id), info.state.isFinal else { return nil as RunInfo? }
            return info
        }
        XCTAssertEqual(finished.state, .completed, finished.failureReason ?? "")
        XCTAssertEqual(finished.rounds.first?.updatesReceived, 2)
    }

    /// Polls the run until its current round stands at `stage`; false when the run ended first.
    private static func reach(_ stage: RoundStage, of run: String, admin: AdminClient) async throws -> Bool {
        try await Wait.until(
            "run \(run) to reach \(stage.rawValue)", timeout: .seconds(240), interval: .milliseconds(2)
        ) {
            guard let info = try? await admin.run(id: run) else { return nil as Bool? }
            if info.state.isFinal { return false }
            return info.stage == stage ? true : nil
        }
    }
}
