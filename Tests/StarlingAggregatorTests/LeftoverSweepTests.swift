import Foundation
import StarlingCore
import StarlingProtocol
import StarlingTestSupport
import XCTest

@testable import StarlingAggregator

/// What a killed process leaves in the data folder does not outlive it: a run's stored updates go
/// when it ends, and a restart removes the updates of runs that are over, the temporary files of
/// interrupted writes and the artifacts of registrations that never committed, keeping every
/// registered version and the updates of the runs it takes up again.
final class LeftoverSweepTests: XCTestCase {
    private func contents(_ url: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted()
    }

    func test_updatesGoWhenARunEnds_andARestartSweepsWhatAKilledProcessLeft() async throws {
        let first = try await TestAggregator.start()
        let folder = first.folder
        let directory = DataDirectory(folder)
        let (run, member, task) = try await first.startPlainRound(of: "kept")
        let architecture = try ModelArchitecture(parsing: "4-3-2")
        let _: UpdateReceipt = try await member.client.post(
            APIPath.deviceUpdate(runId: task.runId, round: task.round),
            bytes: UpdateBody.make(architecture, value: 0.1))
        let ended = try await waitForEnd(of: run.id, first)
        XCTAssertEqual(ended.state, .completed, ended.failureReason ?? "")
        XCTAssertFalse(contents(directory.updates).contains(run.id), "the ended run's updates are gone")

        // A run whose update was accepted when the aggregator stopped.
        let interrupted: RunInfo = try await first.admin.post(
            APIPath.adminRuns,
            json: StartRunRequest(
                model: "kept", clients: 1, minClients: 1, localEpochs: 1, learningRate: 0.1, rounds: 2, seed: 1,
                secureAggregation: false))
        let next = try await member.nextTask()
        XCTAssertEqual(next.runId, interrupted.id)
        let _: UpdateReceipt = try await member.client.post(
            APIPath.deviceUpdate(runId: next.runId, round: next.round),
            bytes: UpdateBody.make(architecture, value: 0.1))
        await member.client.shutdown()
        try await first.stop(removingFolder: false)
        XCTAssertTrue(contents(directory.updates).contains(interrupted.id))
        // What a run that is over left behind when its process was killed.
        let over = directory.updates.appendingPathComponent(run.id).appendingPathComponent("1")
        try FileManager.default.createDirectory(at: over, withIntermediateDirectories: true)
        try Data([1, 2, 3]).write(to: over.appendingPathComponent("dev-1"))

        // What a registration killed between its writes and its commit leaves.
        let kept = directory.models.appendingPathComponent("kept")
        let registered = contents(kept)
        try Data([1, 2, 3]).write(to: kept.appendingPathComponent(".9.safetensors.12345.tmp"))
        try Data([1, 2, 3]).write(to: kept.appendingPathComponent("9.safetensors"))
        try Data([1, 2, 3]).write(to: kept.appendingPathComponent("9.int8.safetensors"))
        let ghost = directory.models.appendingPathComponent("ghost")
        try FileManager.default.createDirectory(at: ghost, withIntermediateDirectories: true)
        try Data([1, 2, 3]).write(to: ghost.appendingPathComponent("1.safetensors"))

        let restarted = try await TestAggregator.start(folder: folder)
        XCTAssertEqual(contents(kept), registered, "every registered artifact stays, nothing else")
        XCTAssertFalse(contents(directory.models).contains("ghost"))
        XCTAssertTrue(contents(directory.updates).contains(interrupted.id), "the run taken up again keeps its folder")
        XCTAssertFalse(contents(directory.updates).contains(run.id), "the run that was over loses its leftovers")
        let resumed: RunInfo = try await restarted.admin.get(APIPath.adminRun(id: interrupted.id))
        XCTAssertFalse(resumed.state.isFinal, "the interrupted run goes on")
        let versions: VersionList = try await restarted.admin.get(APIPath.adminVersions(model: "kept"))
        for version in versions.versions {
            let bytes = try await restarted.admin.getBytes(
                APIPath.adminWeights(model: "kept", version: version.version))
            XCTAssertEqual(Secrets.sha256(bytes), version.sha256)
        }
        try await restarted.stop()
    }
}
