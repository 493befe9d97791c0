import Foundation
import SecureAggregation
import StarlingCore
import StarlingProtocol
import StarlingTestSupport
import XCTest

@testable import StarlingAggregator

/// A masked input that the replica that does not lead took into its own sum, from a device that a
/// neighbour then excludes (it could not open the device's shares, so it left their pairwise mask
/// out): the leader drops the pair and takes the input back out of the replica's sum, and the
/// version is FedAvg of the other devices alone. Runs against `make test`'s server.
final class SecureReplicaExclusionTests: XCTestCase {
    func test_anExcludedDevicesInputSummedByTheOtherReplica_isTakenBackOut() async throws {
        let schema = try PostgreSQLTestSchema()
        let leader = try await TestAggregator.start(databaseURL: schema.url)
        let follower = try await TestAggregator.start(folder: try leader.replicaFolder(), databaseURL: schema.url)
        let _: ModelVersionInfo = try await leader.admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "secret", architecture: "4-3-2", seed: 7))
        let base = try ModelBundle(
            decoding: try await leader.admin.getBytes(APIPath.adminWeights(model: "secret", version: 1)))
        // Even devices speak to the leader, odd ones to the other replica.
        var devices: [TestDevice] = []
        for index in 0..<6 { devices.append(try await (index % 2 == 0 ? leader : follower).enroll()) }
        for device in devices { _ = try await device.watch(sampleCount: 30) }
        let started: RunInfo = try await leader.admin.post(
            APIPath.adminRuns,
            json: StartRunRequest(
                model: "secret", clients: 6, minClients: 4, localEpochs: 1, learningRate: 0.1, rounds: 1, seed: 5,
                secureAggregationThreshold: 4, secureAggregationStageSeconds: 3,
                serverOptimizer: .defaults(for: .fedavg)))
        var tasks: [RoundTask] = []
        for device in devices { tasks.append(try await device.nextTask()) }
        let secure = try tasks.map { try XCTUnwrap($0.secureAggregation) }
        let path = { (stage: SecAggStage) in
            APIPath.deviceSecureAggregation(runId: started.id, round: 1, stage: stage.pathComponent)
        }
        var clients = try secure.map { try SecAggClient(parameters: try $0.protocolParameters(), index: $0.client) }
        for index in devices.indices {
            let _: SecureAggregationReceipt = try await devices[index].client.post(
                path(.advertiseKeys), json: try clients[index].advertiseKeys())
        }
        for index in devices.indices {
            let neighbours: NeighbourKeys = try await devices[index].client.get(path(.shareKeys))
            let _: SecureAggregationReceipt = try await devices[index].client.post(
                path(.shareKeys), json: try clients[index].shareKeys(neighbours))
        }

        // Device 1 sends its masked input to the other replica; device 0 (on the leader) finds
        // device 1's envelope spoiled on the way, leaves their pairwise mask out and names device 1
        // as excluded. Nothing tells the two apart, so both are dropped; four survive, the
        // threshold, and every dropped device's shares are held by four of them.
        let excluded = 1
        let accusers: Set = [0]
        let deltas: [Float] = [0.1, 0.5, -0.2, 0.3, 0.05, -0.4]
        let samples = [30, 10, 20, 40, 25, 15]
        var rng = SeededRNG(seed: 2)
        for index in devices.indices {
            var relayed: RelayedShares = try await devices[index].client.get(path(.maskedInput))
            if accusers.contains(index) {
                let spoiled = try XCTUnwrap(relayed.shares.firstIndex { $0.from == secure[excluded].client })
                relayed.shares[spoiled].ciphertext[0] ^= 0xFF
            }
            let values = secure[index].agentInput(
                delta: deltas[index], parameterCount: base.model.parameters.count, samples: samples[index],
                accuracy: 0.5)
            let codec = FixedPointCodec(try secure[index].protocolParameters())
            let masked = try clients[index].maskInput(relayed, input: codec.encode(values, using: &rng))
            XCTAssertEqual(masked.excluded, accusers.contains(index) ? [secure[excluded].client] : [])
            let _: SecureAggregationReceipt = try await devices[index].client.post(
                path(.maskedInput) + (masked.excludedQueryItem.map { "?" + $0 } ?? ""), bytes: masked.wireBytes)
        }
        let dropped = [0, excluded]
        let survivors = devices.indices.filter { !dropped.contains($0) }
        for index in survivors {
            let request: UnmaskingRequest = try await devices[index].client.get(path(.unmasking))
            XCTAssertEqual(request.dropped, dropped.map { secure[$0].client }.sorted())
            let _: SecureAggregationReceipt = try await devices[index].client.post(
                path(.unmasking), json: try clients[index].unmask(request))
        }

        let finished = try await waitForEnd(of: started.id, leader)
        XCTAssertEqual(finished.state, .completed, finished.failureReason ?? "")
        XCTAssertEqual(finished.rounds.first?.updatesReceived, 4)
        let produced = try ModelBundle(
            decoding: try await leader.admin.getBytes(APIPath.adminWeights(model: "secret", version: 2)))
        let expected = try FedAvg.aggregate(
            w_t: base.model.parameters,
            updates: survivors.map {
                FedAvg.ClientUpdate(
                    n_k: samples[$0], delta: [Float](repeating: deltas[$0], count: base.model.parameters.count))
            })
        for (got, want) in zip(produced.model.parameters, expected) { XCTAssertEqual(got, want, accuracy: 1e-4) }

        for device in devices { await device.client.shutdown() }
        try await follower.stop()
        try await leader.stop()
        try await schema.drop()
    }
}
