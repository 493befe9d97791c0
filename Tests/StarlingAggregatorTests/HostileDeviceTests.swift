import Foundation
import SecureAggregation
import StarlingCore
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

@testable import StarlingAggregator

/// Enrolled devices that lie, each driven by hand over real mutual TLS: the aggregator refuses what
/// they send with a code, stays up, and the honest devices' round still completes.
final class HostileDeviceTests: XCTestCase {
    func test_sampleCountsBeyondTheBound_areRefused_andCountsAtTheBoundNeitherTrapNorTakeOverTheMean() async throws {
        let aggregator = try await TestAggregator.start()
        let _: ModelVersionInfo = try await aggregator.admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "h", architecture: "4-3-2", seed: 7))
        let base = try ModelBundle(
            decoding: try await aggregator.admin.getBytes(APIPath.adminWeights(model: "h", version: 1)))
        let liar = try await aggregator.enroll()
        let honest = try await aggregator.enroll()
        _ = try await liar.watch()
        _ = try await honest.watch()
        let round: RunInfo = try await aggregator.admin.post(
            APIPath.adminRuns,
            json: StartRunRequest(
                model: "h", clients: 2, minClients: 2, localEpochs: 1, learningRate: 0.05, rounds: 1,
                deadlineSeconds: 30, seed: 3, secureAggregation: false))
        _ = try await liar.nextTask()
        _ = try await honest.nextTask()
        let path = APIPath.deviceUpdate(runId: round.id, round: 1)
        let architecture = base.manifest.architecture

        // 2^62 twice summed to overflow Int and killed the process; Int.max held-out samples too.
        for device in [liar, honest] {
            await assertAPIError(status: 400, code: "invalid_update") {
                try await device.client.post(
                    path, bytes: UpdateBody.make(architecture, value: 0.1, trainSamples: 1 << 62),
                    as: UpdateReceipt.self)
            }
        }
        await assertAPIError(status: 400, code: "invalid_update") {
            try await liar.client.post(
                path, bytes: UpdateBody.make(architecture, value: 0.1, evalSamples: Int.max), as: UpdateReceipt.self)
        }
        let health: [String: String] = try await aggregator.admin.get(APIPath.healthz)
        XCTAssertEqual(health["status"], "ok", "the aggregator is still up")

        let _: UpdateReceipt = try await liar.client.post(
            path,
            bytes: UpdateBody.make(
                architecture, value: 1, trainSamples: DeviceCounts.maximum, evalSamples: DeviceCounts.maximum,
                evalAccuracy: 0.1))
        let _: UpdateReceipt = try await honest.client.post(
            path,
            bytes: UpdateBody.make(
                architecture, value: 0.5, trainSamples: 10_000, evalSamples: 10_000, evalAccuracy: 0.9))
        let finished = try await waitForEnd(of: round.id, aggregator)
        XCTAssertEqual(finished.state, .completed, finished.failureReason ?? "")
        let versions: VersionList = try await aggregator.admin.get(APIPath.adminVersions(model: "h"))
        let produced = try XCTUnwrap(versions.versions.last)
        XCTAssertEqual(produced.metrics.trainSamples, DeviceCounts.maximum + 10_000, "the totals are the claims")
        // Every weight is capped at 10,000 samples, as under SecAgg+: the liar's 2^30 count weighs as
        // much as the honest 10,000, so accuracy is (0.1 + 0.9) / 2 and the delta (1 + 0.5) / 2, not ≈ 1.
        XCTAssertEqual(produced.metrics.evalAccuracy ?? 0, 0.5, accuracy: 1e-9)
        let bundle = try ModelBundle(
            decoding: try await aggregator.admin.getBytes(APIPath.adminWeights(model: "h", version: produced.version)))
        for (new, old) in zip(bundle.model.parameters, base.model.parameters) {
            XCTAssertEqual(new, old + 0.75, accuracy: 1e-5)
        }
        await liar.client.shutdown()
        await honest.client.shutdown()
        try await aggregator.stop()
    }

    func test_watchFieldsOutOfBounds_areRefused_andNothingOfThemIsStored() async throws {
        let aggregator = try await TestAggregator.start()
        let device = try await aggregator.enroll()
        let refused: [WatchRequest] = [
            WatchRequest(revision: "", sampleCount: 1, runningModel: String(repeating: "m", count: 100_000) + "@1"),
            WatchRequest(revision: "", sampleCount: 1, runningModel: "\u{1B}[2Jevil@1"),
            WatchRequest(revision: "", sampleCount: 1, runningModel: "m@0"),
            WatchRequest(revision: "", sampleCount: -1, runningModel: nil),
            WatchRequest(revision: "", sampleCount: Int.max, runningModel: nil),
            WatchRequest(revision: String(repeating: "r", count: 129), sampleCount: 1, runningModel: nil),
        ]
        for request in refused {
            await assertAPIError(status: 400, code: "invalid_request") {
                try await device.client.post(APIPath.deviceWatch, json: request, as: DesiredState.self)
            }
        }
        let _: DesiredState = try await device.client.post(
            APIPath.deviceWatch, json: WatchRequest(revision: "", sampleCount: 7, runningModel: "m@3", waitSeconds: 0))
        let listed: DeviceList = try await aggregator.admin.get(APIPath.adminDevices)
        XCTAssertEqual(listed.devices.map(\.runningModel), ["m@3"])
        XCTAssertEqual(listed.devices.map(\.sampleCount), [7])
        await device.client.shutdown()
        try await aggregator.stop()
    }

    func test_aDeviceHoldingMoreWatchesThanItsBound_hasItsOldestAnsweredAtOnce_andTheRestHeld() async throws {
        // Over HTTP/2 every watch is a stream of the device's one connection (over HTTP/1.1 the
        // client would queue all but eight).
        let aggregator = try await TestAggregator.start(deviceHTTP2: true)
        let device = try await aggregator.enroll()
        let state = try await device.watch()
        let oldest = Task { try await device.watch(revision: state.revision, wait: 240) }
        _ = try await Wait.until("the first watch to be held", timeout: .seconds(30)) {
            await aggregator.broadcasterWaiters == 1 ? true : nil
        }
        let newer = (0..<HeldRequests.perDevice).map { _ in
            Task { try await device.watch(revision: state.revision, wait: 240) }
        }
        let answered = try await oldest.value
        XCTAssertEqual(answered.revision, state.revision, "the oldest watch was answered with nothing changed")
        _ = try await Wait.until("the newer watches to be held", timeout: .seconds(30)) {
            await aggregator.broadcasterWaiters == HeldRequests.perDevice ? true : nil
        }
        try await aggregator.stop()
        for watch in newer { _ = try? await watch.value }
        await device.client.shutdown()
    }

    func test_reportsToADeploymentThatDoesNotTargetTheDevice_orAboutNoVersion_areRefused() async throws {
        let aggregator = try await TestAggregator.start()
        let _: ModelVersionInfo = try await aggregator.admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "dep", architecture: "4-2", seed: 1))
        let target = try await aggregator.enroll(tags: [Tag(key: "site", value: "a")])
        let outsider = try await aggregator.enroll(tags: [Tag(key: "site", value: "b")])
        _ = try await target.watch()
        _ = try await outsider.watch()
        let deployment: DeploymentInfo = try await aggregator.admin.post(
            APIPath.adminDeployments,
            json: CreateDeploymentRequest(model: "dep", version: 1, selector: .tags([Tag(key: "site", value: "a")])))
        let path = APIPath.deviceDeploymentReport(id: deployment.id)
        await assertAPIError(status: 403, code: "not_targeted") {
            try await outsider.client.post(
                path, json: DeploymentReport(state: .failed, model: "dep", version: 1), as: DeploymentInfo.self)
        }
        await assertAPIError(status: 404, code: "version_not_found") {
            try await target.client.post(
                path, json: DeploymentReport(state: .installed, model: "dep", version: 99), as: DeploymentInfo.self)
        }
        await assertAPIError(status: 400, code: "invalid_request") {
            try await target.client.post(
                path, json: DeploymentReport(state: .installed, model: "\u{1B}[2J", version: 1), as: DeploymentInfo.self
            )
        }
        let info: DeploymentInfo = try await aggregator.admin.get(APIPath.adminDeployment(id: deployment.id))
        XCTAssertEqual(info.counts.failed, 0, "the outsider's report changed nothing")
        let devices: DeviceList = try await aggregator.admin.get(APIPath.adminDevices)
        XCTAssertTrue(devices.devices.allSatisfy { $0.runningModel == nil }, "no refused report set a running model")
        let _: DeploymentInfo = try await target.client.post(
            path, json: DeploymentReport(state: .installed, model: "dep", version: 1))
        let after: DeploymentInfo = try await aggregator.admin.get(APIPath.adminDeployment(id: deployment.id))
        XCTAssertEqual(after.counts.installed, 1)
        await target.client.shutdown()
        await outsider.client.shutdown()
        try await aggregator.stop()
    }

    func test_aDeviceAskingForOperatorTags_isRefused_andGetsOnlyItsTokensAndItsOwnDeviceTags() async throws {
        let aggregator = try await TestAggregator.start()
        await assertAPIError(status: 403, code: "tag_not_allowed") {
            _ = try await aggregator.enroll(requesting: [Tag(key: "role", value: "admin")])
        }
        await assertAPIError(status: 403, code: "tag_not_allowed") {
            _ = try await aggregator.enroll(requesting: [Tag(key: "device.", value: "x")])
        }
        let device = try await aggregator.enroll(
            tags: [Tag(key: "zone", value: "lab")], requesting: [Tag(key: "device.os", value: "debian12")])
        let listed: DeviceList = try await aggregator.admin.get(APIPath.adminDevices)
        XCTAssertEqual(listed.devices.map(\.id), [device.id], "a refused enrollment makes no device")
        XCTAssertEqual(
            Set(listed.devices.flatMap(\.tags)),
            [Tag(key: "zone", value: "lab"), Tag(key: "device.os", value: "debian12")])
        await device.client.shutdown()
        try await aggregator.stop()
    }

    func test_aDeviceWhoseShareEnvelopesNeverOpen_isDropped_andTheSecureRoundCompletesWithTheOthers() async throws {
        let aggregator = try await TestAggregator.start()
        let _: ModelVersionInfo = try await aggregator.admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "sec", architecture: "4-3-2", seed: 7))
        let base = try ModelBundle(
            decoding: try await aggregator.admin.getBytes(APIPath.adminWeights(model: "sec", version: 1)))
        var devices: [TestDevice] = []
        for _ in 0..<4 { devices.append(try await aggregator.enroll()) }
        for device in devices { _ = try await device.watch(sampleCount: 30) }
        let round: RunInfo = try await aggregator.admin.post(
            APIPath.adminRuns,
            json: StartRunRequest(
                model: "sec", clients: 4, minClients: 3, localEpochs: 1, learningRate: 0.1, rounds: 1, seed: 3,
                serverOptimizer: .defaults(for: .fedavg)))
        var tasks: [RoundTask] = []
        for device in devices { tasks.append(try await device.nextTask()) }
        let secure = try tasks.map { try XCTUnwrap($0.secureAggregation) }
        let parameters = try secure[0].protocolParameters()
        var clients = try secure.map { try SecAggClient(parameters: parameters, index: $0.client) }
        func path(_ stage: SecAggStage) -> String {
            APIPath.deviceSecureAggregation(runId: round.id, round: 1, stage: stage.pathComponent)
        }
        for index in 0..<4 {
            let _: SecureAggregationReceipt = try await devices[index].client.post(
                path(.advertiseKeys), json: try clients[index].advertiseKeys())
        }
        // Device 3 is hostile: well-formed envelopes that no recipient can open.
        for index in 0..<4 {
            let neighbours: NeighbourKeys = try await devices[index].client.get(path(.shareKeys))
            var shares = try clients[index].shareKeys(neighbours)
            if index == 3 {
                for envelope in shares.shares.indices { shares.shares[envelope].ciphertext[30] ^= 0xFF }
            }
            let _: SecureAggregationReceipt = try await devices[index].client.post(path(.shareKeys), json: shares)
        }
        let deltas: [Float] = [0.1, 0.2, 0.3, 5]
        var rng = SeededRNG(seed: 1)
        let codec = FixedPointCodec(parameters)
        for index in 0..<4 {
            let relayed: RelayedShares = try await devices[index].client.get(path(.maskedInput))
            let values = secure[index].agentInput(
                delta: deltas[index], parameterCount: base.model.parameters.count, samples: 30, accuracy: 0.5)
            let masked = try clients[index].maskInput(relayed, input: codec.encode(values, using: &rng))
            if index < 3 { XCTAssertEqual(masked.excluded, [secure[3].client], "honest device \(index)") }
            let _: SecureAggregationReceipt = try await devices[index].client.post(
                path(.maskedInput) + (masked.excludedQueryItem.map { "?" + $0 } ?? ""), bytes: masked.wireBytes)
        }
        for index in 0..<3 {
            let request: UnmaskingRequest = try await devices[index].client.get(path(.unmasking))
            XCTAssertFalse(request.survivors.contains(secure[3].client), "the hostile device is dropped")
            let _: SecureAggregationReceipt = try await devices[index].client.post(
                path(.unmasking), json: try clients[index].unmask(request))
        }
        let finished = try await waitForEnd(of: round.id, aggregator)
        XCTAssertEqual(finished.state, .completed, finished.failureReason ?? "")
        XCTAssertEqual(finished.rounds.first?.updatesReceived, 3)
        let produced = try ModelBundle(
            decoding: try await aggregator.admin.getBytes(APIPath.adminWeights(model: "sec", version: 2)))
        // The honest devices' mean, (0.1 + 0.2 + 0.3) / 3: nothing of the hostile device's 5.
        for (got, old) in zip(produced.model.parameters, base.model.parameters) {
            XCTAssertEqual(got, old + 0.2, accuracy: 1e-4)
        }
        for device in devices { await device.client.shutdown() }
        try await aggregator.stop()
    }
}
