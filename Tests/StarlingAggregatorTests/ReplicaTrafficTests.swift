import Foundation
import NIOCore
import SecureAggregation
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
/// replicas' partial sums. A secure round's devices likewise speak to either replica: the leader
/// publishes each stage, the other stores its devices' messages and sums their masked inputs, and
/// the leader unmasks the sum of both. Runs against `make test`'s server.
final class ReplicaTrafficTests: XCTestCase {
    func test_aReplicaThatDoesNotLead_takesAPlainRoundsTraffic_andTheLeaderAddsTheReplicasPartialSums() async throws {
        let schema = try PostgreSQLTestSchema()
        let leader = try await TestAggregator.start(databaseURL: schema.url)
        let follower = try await TestAggregator.start(folder: try leader.replicaFolder(), databaseURL: schema.url)
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

    func test_aSecureRoundsDevices_onEitherReplica_giveFedAvgOfTheSurvivors() async throws {
        let fleet = try await TwoReplicaFleet.start()
        let (leader, follower, base, devices) = (fleet.leader, fleet.follower, fleet.base, fleet.devices)

        let started: RunInfo = try await follower.admin.post(
            APIPath.adminRuns,
            json: StartRunRequest(
                model: "secret", clients: 6, minClients: 4, localEpochs: 1, learningRate: 0.1, rounds: 1, seed: 5,
                secureAggregationThreshold: 4, secureAggregationGroupSize: 3, secureAggregationStageSeconds: 3,
                serverOptimizer: .defaults(for: .fedavg)))
        var tasks: [RoundTask] = []
        for device in devices { tasks.append(try await device.nextTask()) }
        let secure = try tasks.map { try XCTUnwrap($0.secureAggregation, "a secure task, from either replica") }
        XCTAssertEqual(Set(secure.map(\.sessionId)).count, 2, "two groups of three")
        let path = { (index: Int, stage: SecAggStage) in
            APIPath.deviceSecureAggregation(runId: started.id, round: 1, stage: stage.pathComponent)
        }
        var clients = try secure.map { try SecAggClient(parameters: try $0.protocolParameters(), index: $0.client) }
        // A watch held on the replica that does not lead stays held while the stages close there.
        let watcher = devices[5]
        let state = try await watcher.watch()
        let heldWatch = Task { try await watcher.watch(revision: state.revision, wait: 200) }
        _ = try await Wait.until("the watch to be held", timeout: .seconds(30)) {
            await follower.broadcasterWaiters == 1 ? true : nil
        }
        // Device 3 speaks to that replica and asks for its neighbours' keys with its own (`next`).
        let asking = devices[3].client
        let askingPath = path(3, .advertiseKeys) + "?next=60"
        let askingKeys = ByteBuffer(bytes: try StarlingJSON.encoder().encode(try clients[3].advertiseKeys()))
        let exchanged = Task {
            try await asking.exchange(
                askingPath, body: askingKeys, contentType: "application/json", accept: "application/json",
                timeout: .seconds(90))
        }
        for index in devices.indices where index != 3 {
            let _: SecureAggregationReceipt = try await devices[index].client.post(
                path(index, .advertiseKeys), json: try clients[index].advertiseKeys())
        }
        let answer = try await exchanged.value
        XCTAssertEqual(answer.status, 200)
        let asked: NeighbourKeys = try await devices[3].client.get(path(3, .shareKeys))
        XCTAssertEqual(
            try StarlingJSON.decoder().decode(NeighbourKeys.self, from: Data(answer.body)), asked,
            "the exchange on the replica that does not lead gave the stage's reply")
        var shares: [SharedKeys] = []
        for index in devices.indices {
            let neighbours: NeighbourKeys = try await devices[index].client.get(path(index, .shareKeys))
            shares.append(try clients[index].shareKeys(neighbours))
            let _: SecureAggregationReceipt = try await devices[index].client.post(
                path(index, .shareKeys), json: shares[index])
        }
        await assertAPIError(status: 409, code: "duplicate_message") {
            try await devices[1].client.post(path(1, .shareKeys), json: shares[1], as: SecureAggregationReceipt.self)
        }
        // Device 5 (on the other replica) vanishes after sharing its keys: its group of three keeps
        // two, its threshold, and its pairwise masks are removed in unmasking.
        let survivors = Array(0..<5)
        let deltas: [Float] = [0.1, 0.5, -0.2, 0.3, 0.05]
        let samples = [30, 10, 20, 40, 25]
        var rng = SeededRNG(seed: 2)
        for index in survivors {
            let relayed: RelayedShares = try await devices[index].client.get(path(index, .maskedInput))
            let values = secure[index].agentInput(
                delta: deltas[index], parameterCount: base.model.parameters.count, samples: samples[index],
                accuracy: 0.5)
            let codec = FixedPointCodec(try secure[index].protocolParameters())
            let masked = try clients[index].maskInput(relayed, input: codec.encode(values, using: &rng))
            let _: SecureAggregationReceipt = try await devices[index].client.post(
                path(index, .maskedInput), bytes: masked.wireBytes)
        }
        let watches = await follower.broadcasterWaiters
        XCTAssertEqual(watches, 1, "two stages closed without answering the watch held on the other replica")
        heldWatch.cancel()
        _ = try? await heldWatch.value
        for index in survivors {
            let request: UnmaskingRequest = try await devices[index].client.get(path(index, .unmasking))
            let _: SecureAggregationReceipt = try await devices[index].client.post(
                path(index, .unmasking), json: try clients[index].unmask(request))
        }

        try await assertRoundMadeFedAvg(
            started.id, on: leader, model: "secret", base: base, survivors: survivors, samples: samples, deltas: deltas,
            accuracy: 1e-4)

        try await fleet.stop()
    }

    func test_aDeploymentMadeThroughAnotherReplica_reachesADeviceWatchingIt_andItsReportReachesTheLeadersRollout()
        async throws
    {
        let schema = try PostgreSQLTestSchema()
        let leader = try await TestAggregator.start(databaseURL: schema.url)
        let follower = try await TestAggregator.start(folder: try leader.replicaFolder(), databaseURL: schema.url)
        let created: ModelVersionInfo = try await leader.admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "dep", architecture: "4-2", seed: 1))
        let device = try await follower.enroll(tags: [Tag(key: "site", value: "a")])
        _ = try await device.watch()
        // The leader learns from the database that the device is there, through the other replica.
        _ = try await Wait.until("the leader to know the device", timeout: .seconds(30)) {
            let list: DeviceList? = try? await leader.admin.get(APIPath.adminDevices)
            return list?.devices.contains { $0.id == device.id } == true ? true : nil
        }
        // Only the leader rolls deployments out: the other replica sends the call on to it.
        let deployment: DeploymentInfo = try await follower.admin.post(
            APIPath.adminDeployments,
            json: CreateDeploymentRequest(model: "dep", version: 1, selector: .tags([Tag(key: "site", value: "a")])))
        XCTAssertEqual(deployment.targeted, 1)
        let paused: DeploymentInfo = try await follower.admin.post(
            APIPath.adminDeployment(id: deployment.id, action: "pause"), json: [String: String]())
        XCTAssertEqual(paused.state, .paused)
        let resumed: DeploymentInfo = try await follower.admin.post(
            APIPath.adminDeployment(id: deployment.id, action: "resume"), json: [String: String]())
        XCTAssertNotEqual(resumed.state, .paused)
        let state = try await Wait.until("the other replica to hand out the deployment", timeout: .seconds(30)) {
            let state = try? await device.watch()
            return state?.model?.deploymentId == deployment.id ? state : nil
        }
        XCTAssertEqual(state.model?.sha256, created.sha256)

        let _: DeploymentInfo = try await device.client.post(
            APIPath.deviceDeploymentReport(id: deployment.id),
            json: DeploymentReport(state: .installed, model: "dep", version: 1))
        let counted = try await Wait.until("the leader's rollout to count the report", timeout: .seconds(30)) {
            let info: DeploymentInfo? = try? await leader.admin.get(APIPath.adminDeployment(id: deployment.id))
            return info?.counts.installed == 1 ? info : nil
        }
        XCTAssertEqual(counted.counts, DeploymentCounts(pending: 0, installed: 1, failed: 0))

        await device.client.shutdown()
        try await follower.stop()
        try await leader.stop()
        try await schema.drop()
    }
}
