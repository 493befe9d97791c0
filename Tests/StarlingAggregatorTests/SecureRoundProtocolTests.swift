import Foundation
import NIOCore
import SecureAggregation
import StarlingCore
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

@testable import StarlingAggregator

/// Two devices walk the secure-aggregation stages by hand over mutual TLS, one in JSON and one in
/// SecAgg+'s binary form: the aggregator refuses what the protocol does not allow, and the version
/// it registers is FedAvg of the two deltas.
final class SecureRoundProtocolTests: XCTestCase {
    private func path(_ task: RoundTask, _ stage: SecAggStage) -> String {
        APIPath.deviceSecureAggregation(runId: task.runId, round: task.round, stage: stage.pathComponent)
    }

    func test_handDrivenSecureRound_refusesOffProtocolMessages_andRegistersFedAvgOfTheDeltas() async throws {
        let aggregator = try await TestAggregator.start()
        let _: ModelVersionInfo = try await aggregator.admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "tiny", architecture: "4-3-2", seed: 7))
        let base = try ModelBundle(
            decoding: try await aggregator.admin.getBytes(APIPath.adminWeights(model: "tiny", version: 1)))
        let devices = [try await aggregator.enroll(), try await aggregator.enroll()]
        let outsider = try await aggregator.enroll()
        for device in devices { _ = try await device.watch(sampleCount: 30) }
        let round: RunInfo = try await aggregator.admin.post(
            APIPath.adminRuns,
            json: StartRunRequest(
                model: "tiny", clients: 2, minClients: 2, localEpochs: 1, learningRate: 0.1, rounds: 1, seed: 3,
                serverOptimizer: .defaults(for: .fedavg)))
        XCTAssertTrue(round.secureAggregation)
        var tasks: [RoundTask] = []
        for device in devices { tasks.append(try await device.nextTask()) }
        let secure = try tasks.map { try XCTUnwrap($0.secureAggregation) }
        XCTAssertEqual(Set(secure.map(\.client)), [0, 1])
        XCTAssertEqual(secure[0].vectorLength, base.model.parameters.count + SecureMetricsLayout.trainingSlots)
        let parameters = try secure[0].protocolParameters()
        var clients = try secure.map { try SecAggClient(parameters: parameters, index: $0.client) }
        let task = tasks[0]

        await assertAPIError(status: 409, code: "secure_aggregation_required") {
            try await devices[0].client.post(
                APIPath.deviceUpdate(runId: task.runId, round: 1),
                bytes: UpdateBody.make(base.manifest.architecture, value: 0.1),
                as: UpdateReceipt.self)
        }
        let keys = try clients.indices.map { try clients[$0].advertiseKeys() }
        await assertAPIError(status: 400, code: "secagg_invalid_message") {
            try await devices[0].client.post(
                self.path(task, .advertiseKeys), json: keys[1], as: SecureAggregationReceipt.self)
        }
        await assertAPIError(status: 403, code: "not_in_cohort") {
            try await outsider.client.post(
                self.path(task, .advertiseKeys), json: keys[0], as: SecureAggregationReceipt.self)
        }
        // An all-zero (small-order) key would make every shared secret with it all zeros.
        var weak = keys[0]
        weak.maskingKey = Data(count: 32)
        await assertAPIError(status: 400, code: "secagg_invalid_message") {
            try await devices[0].client.post(
                self.path(task, .advertiseKeys), json: weak, as: SecureAggregationReceipt.self)
        }
        // Device 0 speaks JSON, device 1 the binary form, both ways.
        func send<Message: SecAggBinaryMessage & Encodable>(_ index: Int, _ stage: SecAggStage, _ message: Message)
            async throws
        {
            let client = devices[index].client
            let _: SecureAggregationReceipt =
                index == 0
                ? try await client.post(path(task, stage), json: message)
                : try await client.post(
                    path(task, stage), bytes: SecAggBinary.encode(message), contentType: SecAggBinary.mediaType)
        }
        func reply<Message: SecAggBinaryMessage & Decodable>(_ index: Int, _ stage: SecAggStage) async throws -> Message
        {
            let client = devices[index].client
            guard index == 1 else { return try await client.get(path(task, stage)) }
            return try SecAggBinary.decode(
                Message.self, from: try await client.getBytes(path(task, stage), accept: SecAggBinary.mediaType))
        }
        // A message may ask for the following stage's reply in the same exchange (`next`), but not
        // for longer than a reply may be held, nor of the last stage; such a request takes nothing.
        let binaryKeys = ByteBuffer(bytes: SecAggBinary.encode(keys[0]))
        await assertAPIError(status: 400, code: "secagg_invalid_message") {
            try await devices[0].client.exchange(
                self.path(task, .advertiseKeys) + "?next=241", body: binaryKeys, contentType: SecAggBinary.mediaType,
                accept: SecAggBinary.mediaType, timeout: .seconds(30))
        }
        await assertAPIError(status: 400, code: "secagg_invalid_message") {
            try await devices[0].client.exchange(
                self.path(task, .unmasking) + "?next=1",
                body: ByteBuffer(
                    bytes: SecAggBinary.encode(
                        RevealedShares(
                            roundId: parameters.roundId, client: 0, selfMaskShares: [], maskingKeyShares: []))),
                contentType: SecAggBinary.mediaType, accept: SecAggBinary.mediaType, timeout: .seconds(30))
        }
        // Taken, and answered with the receipt (202) when the reply is not ready in time.
        let taken = try await devices[0].client.exchange(
            path(task, .advertiseKeys) + "?next=0", body: binaryKeys, contentType: SecAggBinary.mediaType,
            accept: SecAggBinary.mediaType, timeout: .seconds(30))
        XCTAssertEqual(taken.status, 202)
        XCTAssertEqual(
            try StarlingJSON.decoder().decode(SecureAggregationReceipt.self, from: Data(taken.body)).stage, "keys")
        await assertAPIError(status: 409, code: "duplicate_message") {
            try await devices[0].client.post(
                self.path(task, .advertiseKeys), json: keys[0], as: SecureAggregationReceipt.self)
        }
        await assertAPIError(status: 409, code: "secagg_wrong_stage") {
            try await devices[0].client.post(
                self.path(task, .maskedInput), bytes: [0, 0, 0, 0], as: SecureAggregationReceipt.self)
        }
        await assertAPIError(status: 400, code: "secagg_invalid_message") {
            try await devices[1].client.post(
                self.path(task, .advertiseKeys), bytes: Array(SecAggBinary.encode(keys[1]).dropLast()),
                contentType: SecAggBinary.mediaType, as: SecureAggregationReceipt.self)
        }
        // How long a reply may be held is the device's to say, within bounds; one that may not wait
        // is 409 at once while its stage has not opened.
        await assertAPIError(status: 400, code: "secagg_invalid_message") {
            try await devices[0].client.getBytes(self.path(task, .shareKeys) + "?wait=241")
        }
        await assertAPIError(status: 409, code: "secagg_pending") {
            try await devices[0].client.getBytes(self.path(task, .shareKeys) + "?wait=0")
        }
        let advertising: RunInfo = try await aggregator.admin.get(APIPath.adminRun(id: round.id))
        XCTAssertEqual(advertising.stage, .advertiseKeys)
        XCTAssertEqual(advertising.rounds.first?.cohortSize, 2)
        // A stage closing changes nothing a device acts on: a held watch stays held while the
        // stage's replies go out.
        let state = try await devices[0].watch()
        let heldWatch = Task { try await devices[0].watch(revision: state.revision, wait: 55) }
        _ = try await Wait.until("the watch to be held", timeout: .seconds(30)) {
            await aggregator.broadcasterWaiters == 1 ? true : nil
        }
        // The last device's keys close the stage, and its exchange is answered with its neighbours'
        // keys, the reply it would otherwise ask for on its own.
        let closing = try await devices[1].client.exchange(
            path(task, .advertiseKeys) + "?next=30", body: ByteBuffer(bytes: SecAggBinary.encode(keys[1])),
            contentType: SecAggBinary.mediaType, accept: SecAggBinary.mediaType, timeout: .seconds(60))
        XCTAssertEqual(closing.status, 200)
        XCTAssertEqual(closing.contentType, SecAggBinary.mediaType)
        let answered = try SecAggBinary.decode(NeighbourKeys.self, from: closing.body)
        let asked: NeighbourKeys = try await reply(1, .shareKeys)
        XCTAssertEqual(answered, asked, "the exchange gave the stage's reply")

        // Device 0 asks for the next reply in JSON with its shares, and is answered with it once
        // device 1's shares close the stage.
        let firstShares = try clients[0].shareKeys(try await reply(0, .shareKeys))
        let sharesBody = ByteBuffer(bytes: try StarlingJSON.encoder().encode(firstShares))
        let sharingDevice = devices[0].client
        let sharesPath = path(task, .shareKeys) + "?next=30"
        let sharedFirst = Task {
            try await sharingDevice.exchange(
                sharesPath, body: sharesBody, contentType: "application/json", accept: "application/json",
                timeout: .seconds(60))
        }
        _ = try await Wait.until("device 0's exchange to be held for the reply", timeout: .seconds(30)) {
            await aggregator.progressWaiters == 1 ? true : nil
        }
        try await send(1, .shareKeys, try clients[1].shareKeys(try await reply(1, .shareKeys)))
        let answer = try await sharedFirst.value
        XCTAssertEqual(answer.status, 200)
        XCTAssertEqual(answer.contentType, "application/json")
        let relayedInExchange = try StarlingJSON.decoder().decode(RelayedShares.self, from: Data(answer.body))
        let relayedAsked: RelayedShares = try await reply(0, .maskedInput)
        XCTAssertEqual(relayedInExchange, relayedAsked, "the JSON exchange gave the stage's reply")
        let sharing: RunInfo = try await aggregator.admin.get(APIPath.adminRun(id: round.id))
        XCTAssertEqual(sharing.stage, .maskedInput, "the admin view shows the stage from the stored machine")
        let watches = await aggregator.broadcasterWaiters
        XCTAssertEqual(watches, 1, "the key-advertising stage closed without answering the held watch")
        heldWatch.cancel()
        _ = try? await heldWatch.value
        let deltas: [Float] = [0.1, 0.5]
        let samples = [30, 10]
        let accuracies = [0.5, 0.9]
        var rng = SeededRNG(seed: 1)
        let codec = FixedPointCodec(parameters)
        for index in 0..<2 {
            let relayed: RelayedShares = try await reply(index, .maskedInput)
            let values = secure[index].agentInput(
                delta: deltas[index], parameterCount: base.model.parameters.count, samples: samples[index],
                accuracy: accuracies[index])
            let masked = try clients[index].maskInput(relayed, input: codec.encode(values, using: &rng))
            await assertAPIError(status: 400, code: "secagg_invalid_message") {
                try await devices[index].client.post(
                    self.path(task, .maskedInput), bytes: Array(masked.wireBytes.dropLast(4)),
                    as: SecureAggregationReceipt.self)
            }
            await assertAPIError(status: 400, code: "secagg_invalid_message") {
                try await devices[index].client.post(
                    self.path(task, .maskedInput), bytes: Array(masked.wireBytes.dropLast(1)),
                    as: SecureAggregationReceipt.self)
            }
            await assertAPIError(status: 400, code: "secagg_invalid_message") {
                try await devices[index].client.post(
                    self.path(task, .maskedInput), bytes: masked.wireBytes + [1, 2, 3, 4],
                    as: SecureAggregationReceipt.self)
            }
            let _: SecureAggregationReceipt = try await devices[index].client.post(
                path(task, .maskedInput), bytes: masked.wireBytes)
        }
        for index in 0..<2 {
            let request: UnmaskingRequest = try await reply(index, .unmasking)
            XCTAssertEqual(request.survivors, [0, 1])
            try await send(index, .unmasking, try clients[index].unmask(request))
        }

        try await assertRoundMadeFedAvg(
            round.id, on: aggregator, model: "tiny", base: base, survivors: [0, 1], samples: samples, deltas: deltas,
            accuracy: 1e-5)
        let versions: VersionList = try await aggregator.admin.get(APIPath.adminVersions(model: "tiny"))
        let metrics = try XCTUnwrap(versions.versions.last?.metrics)
        XCTAssertEqual(metrics.trainSamples, 40)
        XCTAssertEqual(metrics.evalAccuracy ?? 0, (30 * 0.5 + 10 * 0.9) / 40, accuracy: 1e-4)
        XCTAssertEqual(metrics.trainLoss ?? 0, 0.5, accuracy: 1e-4)
        await assertAPIError(status: 409, code: "round_closed") {
            try await devices[0].client.post(
                self.path(task, .unmasking),
                json: RevealedShares(roundId: parameters.roundId, client: 0, selfMaskShares: [], maskingKeyShares: []),
                as: SecureAggregationReceipt.self)
        }
        for device in devices + [outsider] { await device.client.shutdown() }
        try await aggregator.stop()
    }
}
