import Foundation
import SecureAggregation
import StarlingCore
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

@testable import StarlingAggregator

/// A SecAgg+ stage that has heard from most of its devices (halfway from its threshold to all of
/// them) does not wait out its stage time for devices that vanished: it closes once no device has
/// answered for the quiet time, and never sooner, never with fewer answers, and never during key
/// advertising.
final class SecureQuietCloseTests: XCTestCase {
    private let opened = Date(timeIntervalSince1970: 1_000_000)

    private func secureRound(devices: Int, threshold: Int) throws -> SecureRound {
        let plan = SecureAggregationPlan(
            threshold: threshold, deadlineSeconds: 600, stageSeconds: 60, quietSeconds: 2)
        return try SecureRound(
            plan: plan, cohort: (0..<devices).map { "dev-\($0)" }, sessionId: "quiet-1", graphSeed: 5,
            layout: .training(parameterCount: 4), minClients: threshold, privacy: nil, openedAt: opened)
    }

    func test_aStageWithMostAnswers_goesQuietAfterTheQuietTime_andNotBeforeOrWithFewer() throws {
        var secure = try secureRound(devices: 6, threshold: 2)
        let seats = try (0..<6).map { try XCTUnwrap(secure.seat(of: "dev-\($0)")) }
        let parameters = secure.groups[0].server.parameters
        var clients = try seats.map { try SecAggClient(parameters: parameters, index: $0.client) }
        for (index, seat) in seats.enumerated() {
            try secure.receive(.advertisedKeys(try clients[index].advertiseKeys()), at: seat, now: opened)
        }
        XCTAssertFalse(
            secure.hasGoneQuiet(at: opened.addingTimeInterval(30)), "key advertising is the collection's to close")
        var now = opened.addingTimeInterval(1)
        _ = try secure.closeStage(now: now)
        for (index, seat) in seats.enumerated() {
            guard case .neighbourKeys(let keys)? = secure.reply(at: seat) else { return XCTFail("no neighbour keys") }
            try secure.receive(.sharedKeys(try clients[index].shareKeys(keys)), at: seat, now: now)
        }
        now = now.addingTimeInterval(1)
        _ = try secure.closeStage(now: now)
        let input = [UInt32](repeating: 7, count: parameters.vectorLength)
        func sendMaskedInput(_ index: Int, at time: Date) throws {
            guard case .relayedShares(let shares)? = secure.reply(at: seats[index]) else {
                return XCTFail("no relayed shares")
            }
            try secure.receive(
                .maskedInput(try clients[index].maskInput(shares, input: input)), at: seats[index], now: time)
        }
        for index in 0..<3 { try sendMaskedInput(index, at: now.addingTimeInterval(0.5)) }
        XCTAssertFalse(
            secure.hasGoneQuiet(at: now.addingTimeInterval(10)),
            "three answers are short of halfway from the threshold of two to the six devices")
        let last = now.addingTimeInterval(1)
        try sendMaskedInput(3, at: last)
        XCTAssertFalse(secure.hasGoneQuiet(at: last.addingTimeInterval(1.9)), "the quiet time has not passed")
        XCTAssertTrue(secure.hasGoneQuiet(at: last.addingTimeInterval(2)))
        try sendMaskedInput(4, at: last.addingTimeInterval(1.5))
        XCTAssertFalse(
            secure.hasGoneQuiet(at: last.addingTimeInterval(2)), "a new answer starts the quiet time again")
        XCTAssertTrue(secure.hasGoneQuiet(at: last.addingTimeInterval(3.5)))
        try sendMaskedInput(5, at: last.addingTimeInterval(4))
        XCTAssertFalse(
            secure.hasGoneQuiet(at: last.addingTimeInterval(60)), "a complete stage closes as answered, not as quiet")
    }

    /// Over mutual TLS: one device of four vanishes after sharing its keys; with a stage time of
    /// ten minutes and a quiet time of one second, the survivors' unmasking request comes (a
    /// stage waiting out its time would answer their long polls with 409 `secagg_pending`) and the
    /// round completes with their three updates.
    func test_aDeviceVanishingAfterKeySharing_doesNotHoldTheRoundForTheStageTime() async throws {
        let (aggregator, devices) = try await tinyModelAggregator(watchingDevices: 4)
        let parameterCount = try ModelArchitecture(parsing: "4-3-2").parameterCount
        let round: RunInfo = try await aggregator.admin.post(
            APIPath.adminRuns,
            json: StartRunRequest(
                model: "tiny", clients: 4, minClients: 2, localEpochs: 1, learningRate: 0.1, rounds: 1,
                deadlineSeconds: 3_600, seed: 3, secureAggregationThreshold: 2, secureAggregationStageSeconds: 600,
                secureAggregationQuietSeconds: 1,
                serverOptimizer: .defaults(for: .fedavg)))
        var tasks: [RoundTask] = []
        for device in devices { tasks.append(try await device.nextTask()) }
        let secure = try tasks.map { try XCTUnwrap($0.secureAggregation) }
        let parameters = try secure[0].protocolParameters()
        var clients = try secure.map { try SecAggClient(parameters: parameters, index: $0.client) }
        let path = { (stage: SecAggStage) in
            APIPath.deviceSecureAggregation(runId: tasks[0].runId, round: tasks[0].round, stage: stage.pathComponent)
        }
        for index in 0..<4 {
            let _: SecureAggregationReceipt = try await devices[index].client.post(
                path(.advertiseKeys), json: try clients[index].advertiseKeys())
        }
        for index in 0..<4 {
            let neighbours: NeighbourKeys = try await devices[index].client.get(path(.shareKeys))
            let _: SecureAggregationReceipt = try await devices[index].client.post(
                path(.shareKeys), json: try clients[index].shareKeys(neighbours))
        }
        var rng = SeededRNG(seed: 1)
        let codec = FixedPointCodec(parameters)
        for index in 0..<3 {
            let relayed: RelayedShares = try await devices[index].client.get(path(.maskedInput))
            let values = secure[index].agentInput(
                delta: 0.1, parameterCount: parameterCount, samples: 30, accuracy: 0.5)
            let masked = try clients[index].maskInput(relayed, input: codec.encode(values, using: &rng))
            let _: SecureAggregationReceipt = try await devices[index].client.post(
                path(.maskedInput), bytes: masked.wireBytes)
        }
        for index in 0..<3 {
            let request: UnmaskingRequest = try await devices[index].client.get(path(.unmasking))
            XCTAssertEqual(request.dropped, [secure[3].client], "the silent device is unmasked as dropped")
            let _: SecureAggregationReceipt = try await devices[index].client.post(
                path(.unmasking), json: try clients[index].unmask(request))
        }
        let finished = try await waitForEnd(of: round.id, aggregator)
        XCTAssertEqual(finished.state, .completed, finished.failureReason ?? "")
        XCTAssertEqual(finished.rounds.first?.updatesReceived, 3)
    }

    func test_aQuietTimeOutsideItsRange_isRefused() {
        for quiet in [0.05, 601, .nan] {
            XCTAssertThrowsError(
                try RunPlan(
                    validating: StartRunRequest(
                        model: "tiny", clients: 3, minClients: 2, rounds: 1, secureAggregationQuietSeconds: quiet),
                    defaultDeadline: 60, seed: 1)
            ) { error in
                XCTAssertTrue("\(error)".contains("secure_aggregation_quiet_seconds"), "\(error)")
            }
        }
    }
}
