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
        // Even devices speak to the leader, odd ones to the other replica.
        let fleet = try await TwoReplicaFleet.start()
        let (leader, base, devices) = (fleet.leader, fleet.base, fleet.devices)
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
        let accuser = 0
        let deltas: [Float] = [0.1, 0.5, -0.2, 0.3, 0.05, -0.4]
        let samples = [30, 10, 20, 40, 25, 15]
        var rng = SeededRNG(seed: 2)
        for index in devices.indices {
            var relayed: RelayedShares = try await devices[index].client.get(path(.maskedInput))
            if index == accuser {
                let spoiled = try XCTUnwrap(relayed.shares.firstIndex { $0.from == secure[excluded].client })
                relayed.shares[spoiled].ciphertext[0] ^= 0xFF
            }
            let values = secure[index].agentInput(
                delta: deltas[index], parameterCount: base.model.parameters.count, samples: samples[index],
                accuracy: 0.5)
            let codec = FixedPointCodec(try secure[index].protocolParameters())
            let masked = try clients[index].maskInput(relayed, input: codec.encode(values, using: &rng))
            XCTAssertEqual(masked.excluded, index == accuser ? [secure[excluded].client] : [])
            let _: SecureAggregationReceipt = try await devices[index].client.post(
                path(.maskedInput) + (masked.excludedQueryItem.map { "?" + $0 } ?? ""), bytes: masked.wireBytes)
        }
        let dropped = [accuser, excluded]
        let survivors = devices.indices.filter { !dropped.contains($0) }
        for index in survivors {
            let request: UnmaskingRequest = try await devices[index].client.get(path(.unmasking))
            XCTAssertEqual(request.dropped, dropped.map { secure[$0].client }.sorted())
            let _: SecureAggregationReceipt = try await devices[index].client.post(
                path(.unmasking), json: try clients[index].unmask(request))
        }

        try await assertRoundMadeFedAvg(
            started.id, on: leader, model: "secret", base: base, survivors: survivors, samples: samples, deltas: deltas,
            accuracy: 1e-4)

        try await fleet.stop()
    }
}
