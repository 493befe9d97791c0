import Foundation
import NIOCore
import SecureAggregation
import StarlingCore
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

@testable import StarlingAggregator

/// A device revoked in the middle of a secure aggregation drops out of the stage being collected
/// at once: the stage closes without waiting for its deadline and the others' sum becomes the version.
final class SecureRevocationTests: XCTestCase {
    private func path(_ task: RoundTask, _ stage: SecAggStage) -> String {
        APIPath.deviceSecureAggregation(runId: task.runId, round: task.round, stage: stage.pathComponent)
    }

    /// Starts a secure round of the three devices (at least two) and takes each one's task.
    private func startSecureRound(_ aggregator: TestAggregator, _ devices: [TestDevice]) async throws -> (
        RunInfo, [RoundTask], [SecureAggregationTask]
    ) {
        // Stages after the first wait a quarter of the deadline, capped at 30 s: longer than a test may take.
        let round: RunInfo = try await aggregator.admin.post(
            APIPath.adminRuns,
            json: StartRunRequest(
                model: "tiny", clients: 3, minClients: 2, localEpochs: 1, learningRate: 0.1, rounds: 1,
                deadlineSeconds: 300, seed: 3, serverOptimizer: .defaults(for: .fedavg)))
        var tasks: [RoundTask] = []
        for device in devices { tasks.append(try await device.nextTask()) }
        return (round, tasks, try tasks.map { try XCTUnwrap($0.secureAggregation) })
    }

    func test_revokingADeviceDuringKeySharing_closesTheStageAtOnce_andTheOthersFinishTheRound() async throws {
        let (aggregator, devices) = try await tinyModelAggregator(watchingDevices: 3)
        let parameterCount = try ModelArchitecture(parsing: "4-3-2").parameterCount
        let (round, tasks, secure) = try await startSecureRound(aggregator, devices)
        XCTAssertEqual(secure[0].threshold, 2)
        let parameters = try secure[0].protocolParameters()
        var clients = try secure.map { try SecAggClient(parameters: parameters, index: $0.client) }
        let task = tasks[0]
        for index in 0..<3 {
            let _: SecureAggregationReceipt = try await devices[index].client.post(
                path(task, .advertiseKeys), json: try clients[index].advertiseKeys())
        }
        for index in 0..<2 {
            let neighbours: NeighbourKeys = try await devices[index].client.get(path(task, .shareKeys))
            let _: SecureAggregationReceipt = try await devices[index].client.post(
                path(task, .shareKeys), json: try clients[index].shareKeys(neighbours))
        }

        let revokedAt = ContinuousClock.now
        let _: DeviceInfo = try await aggregator.admin.post(
            APIPath.adminDeviceRevocation(id: devices[2].id), json: RevokeDeviceRequest(reason: "compromised"))
        var rng = SeededRNG(seed: 1)
        let codec = FixedPointCodec(parameters)
        for index in 0..<2 {
            let relayed: RelayedShares = try await devices[index].client.get(path(task, .maskedInput))
            let values = secure[index].agentInput(
                delta: 0.1, parameterCount: parameterCount, samples: 30, accuracy: 0.5)
            let masked = try clients[index].maskInput(relayed, input: codec.encode(values, using: &rng))
            let _: SecureAggregationReceipt = try await devices[index].client.post(
                path(task, .maskedInput), bytes: masked.wireBytes)
        }
        XCTAssertLessThan(
            ContinuousClock.now - revokedAt, .seconds(20), "the key-sharing stage waited for its deadline")
        for index in 0..<2 {
            let request: UnmaskingRequest = try await devices[index].client.get(path(task, .unmasking))
            XCTAssertEqual(request.survivors, [0, 1].map { secure[$0].client }.sorted())
            let _: SecureAggregationReceipt = try await devices[index].client.post(
                path(task, .unmasking), json: try clients[index].unmask(request))
        }
        let finished = try await waitForEnd(of: round.id, aggregator)
        XCTAssertEqual(finished.state, .completed, finished.failureReason ?? "")
        XCTAssertEqual(finished.rounds.first?.updatesReceived, 2)
    }

    func test_aDeviceRevokedWhileItsExchangeIsHeld_isAnsweredWithTheReceipt_notTheReply() async throws {
        let (aggregator, devices) = try await tinyModelAggregator(watchingDevices: 3)
        let (_, tasks, secure) = try await startSecureRound(aggregator, devices)
        let parameters = try secure[0].protocolParameters()
        var clients = try secure.map { try SecAggClient(parameters: parameters, index: $0.client) }
        let task = tasks[0]
        let keys = ByteBuffer(bytes: SecAggBinary.encode(try clients[0].advertiseKeys()))
        let (first, keysPath) = (devices[0].client, path(task, .advertiseKeys) + "?next=120")
        let held = Task {
            try await first.exchange(
                keysPath, body: keys, contentType: SecAggBinary.mediaType, accept: SecAggBinary.mediaType,
                timeout: .seconds(150))
        }
        _ = try await Wait.until("device 0's exchange to be held for the reply", timeout: .seconds(30)) {
            await aggregator.progressWaiters == 1 ? true : nil
        }
        let _: DeviceInfo = try await aggregator.admin.post(
            APIPath.adminDeviceRevocation(id: devices[0].id), json: RevokeDeviceRequest(reason: "compromised"))
        for index in 1..<3 {
            let _: SecureAggregationReceipt = try await devices[index].client.post(
                path(task, .advertiseKeys), json: try clients[index].advertiseKeys())
        }
        let answer = try await held.value
        XCTAssertEqual(answer.status, 202, "a device no longer in the round gets no reply, only its receipt")
        XCTAssertEqual(
            try StarlingJSON.decoder().decode(SecureAggregationReceipt.self, from: Data(answer.body)).stage, "keys")
        await assertAPIError(status: 403, code: "device_revoked") {
            let _: NeighbourKeys = try await first.get(self.path(task, .shareKeys))
        }
        let neighbours: NeighbourKeys = try await devices[1].client.get(path(task, .shareKeys))
        XCTAssertTrue(
            neighbours.keys.contains { $0.client == secure[0].client },
            "keys taken before the revocation stay: the device is then a dropout")
    }
}
