import Foundation
import StarlingCore
import StarlingProtocol
import StarlingStorage
import StarlingTestSupport
import StarlingTransport
import XCTest

@testable import StarlingAggregator

/// Two aggregators sharing one PostgreSQL database, the first leading: the one that does not lead
/// takes admin traffic (a model, enrollment tokens, a run's start) and a plain round's device
/// traffic (enrollment, watches handing out the round's tasks, updates, a failure report), admitting
/// each against the run's stored machine and adding updates to its own partial sum; the leader
/// takes the run up, learns of what the other stored, and makes the version by adding the two
/// replicas' partial sums. Runs against `make test`'s server.
final class ReplicaTrafficTests: XCTestCase {
    func test_aReplicaThatDoesNotLead_takesAPlainRoundsTraffic_andTheLeaderAddsTheReplicasPartialSums() async throws {
        let schema = try PostgreSQLTestSchema()
        let leader = try await TestAggregator.start(databaseURL: schema.url)
        let follower = try await TestAggregator.start(folder: try sharingKeys(with: leader), databaseURL: schema.url)
        let status: LeaderStatus = try await leader.admin.get(APIPath.leader)
        XCTAssertEqual(status.epoch, 1, "the first replica leads")
        await assertAPIError(status: 503, code: "not_leader") {
            try await follower.admin.get(APIPath.leader, as: LeaderStatus.self)
        }

        let _: ModelVersionInfo = try await follower.admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "shared", architecture: "4-3-2", seed: 7))
        let base = try ModelBundle(
            decoding: try await leader.admin.getBytes(APIPath.adminWeights(model: "shared", version: 1)))
        let architecture = base.manifest.architecture
        // d0 speaks to the leader; d1 enrolled through the leader but speaks to the other replica;
        // d2 and d3 enrolled through the other replica and speak to it.
        let enrolledHere = try await leader.enroll()
        let crossing = try await leader.enroll()
        let d1 = TestDevice(
            id: crossing.id, identity: crossing.identity,
            client: try TestAggregator.client(
                follower.endpoints.deviceUrl, caPEM: leader.caPEM, identity: crossing.identity))
        let devices = [enrolledHere, d1, try await follower.enroll(), try await follower.enroll()]
        let outsider = try await follower.enroll()
        for (device, samples) in zip(devices, [30, 10, 20, 40]) { _ = try await device.watch(sampleCount: samples) }

        let started: RunInfo = try await follower.admin.post(
            APIPath.adminRuns,
            json: StartRunRequest(
                model: "shared", clients: 4, minClients: 3, localEpochs: 1, learningRate: 0.05, rounds: 1,
                deadlineSeconds: 60, seed: 11, secureAggregation: false))
        XCTAssertEqual(started.state, .waiting, "the replica that does not lead recorded the run")
        var tasks: [RoundTask] = []
        for device in devices { tasks.append(try await device.nextTask()) }
        XCTAssertEqual(Set(tasks.map(\.runId)), [started.id], "every device, on either replica, has the run's task")

        let update = APIPath.deviceUpdate(runId: started.id, round: 1)
        let failure = APIPath.deviceFailure(runId: started.id, round: 1)
        let _: UpdateReceipt = try await devices[1].client.post(
            update, bytes: UpdateBody.make(architecture, value: 0.5, trainSamples: 10))
        await assertAPIError(status: 409, code: "duplicate_update") {
            try await devices[1].client.post(
                update, bytes: UpdateBody.make(architecture, value: 0.5, trainSamples: 10), as: UpdateReceipt.self)
        }
        let _: UpdateReceipt = try await devices[2].client.post(
            failure, json: ClientFailureReport(reason: .diverged, detail: "the loss became NaN"))
        await assertAPIError(status: 409, code: "duplicate_update") {
            try await devices[2].client.post(
                update, bytes: UpdateBody.make(architecture, value: 0.9), as: UpdateReceipt.self)
        }
        await assertAPIError(status: 403, code: "not_in_cohort") {
            try await outsider.client.post(
                update, bytes: UpdateBody.make(architecture, value: 0.9), as: UpdateReceipt.self)
        }
        let _: UpdateReceipt = try await devices[3].client.post(
            update, bytes: UpdateBody.make(architecture, value: 0.3, trainSamples: 40))

        let storage = try leader.openStorage()
        let store = RunStore(engine: storage.engine, leadership: Leadership(replica: "reader"))
        let partial = try await store.partialSums(runId: started.id, round: 1)
        XCTAssertEqual(partial.map { Set($0.devices) }, [[devices[1].id, devices[3].id]])
        XCTAssertEqual(partial.first?.weight, 50, "the other replica summed the two updates it took")
        // The leader must make the version from the partial sums alone: it cannot read these bytes.
        try await storage.engine.write { [id = started.id] db in
            try db.execute("DELETE FROM roundUpdateBytes WHERE runId = ?", id)
        }

        let _: UpdateReceipt = try await devices[0].client.post(
            update, bytes: UpdateBody.make(architecture, value: 0.1, trainSamples: 30))
        let finished = try await waitForEnd(of: started.id, leader)
        XCTAssertEqual(finished.state, .completed, finished.failureReason ?? "")
        XCTAssertEqual(finished.rounds.first?.updatesReceived, 3)
        XCTAssertEqual(finished.rounds.first?.producedVersion, 2)
        // (30·0.1 + 10·0.5 + 40·0.3) / 80 = 0.25 added to every parameter.
        let produced = try ModelBundle(
            decoding: try await follower.admin.getBytes(APIPath.adminWeights(model: "shared", version: 2)))
        for (new, old) in zip(produced.model.parameters, base.model.parameters) {
            XCTAssertEqual(new, old + 0.25, accuracy: 1e-5)
        }

        for device in devices + [outsider, crossing] { await device.client.shutdown() }
        try await storage.engine.close()
        try await follower.stop()
        try await leader.stop()
        try await schema.drop()
    }

    /// A data folder for a second replica with the first one's keys and admin token, as
    /// `starling demo --replicas` gives its replicas.
    private func sharingKeys(with first: TestAggregator) throws -> URL {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("starling-agg-test-\(UUID().uuidString.prefix(8))")
        let files = FileManager.default
        try files.createDirectory(at: folder, withIntermediateDirectories: true)
        try files.setAttributes([.posixPermissions: 0o700], ofItemAtPath: folder.path)
        for item in ["pki", "admin.token"] {
            try files.copyItem(at: first.folder.appendingPathComponent(item), to: folder.appendingPathComponent(item))
        }
        return folder
    }
}
