import Foundation
import Privacy
import SecureAggregation
import StarlingCore
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

@testable import StarlingAggregator

/// A cohort split into SecAgg+ groups, walked by hand over mutual TLS: each group has its own
/// session, graph and threshold, a group that falls below its threshold is dropped whole while the
/// other goes on, and the version is FedAvg of the surviving group's deltas.
final class HierarchicalSecureRoundTests: XCTestCase {
    private func path(_ task: RoundTask, _ stage: SecAggStage) -> String {
        APIPath.deviceSecureAggregation(runId: task.runId, round: task.round, stage: stage.pathComponent)
    }

    func test_aGroupBelowItsThreshold_isDroppedWhole_andTheOtherGroupMakesTheVersion() async throws {
        let aggregator = try await TestAggregator.start()
        let _: ModelVersionInfo = try await aggregator.admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "tiny", architecture: "4-3-2", seed: 7))
        let base = try ModelBundle(
            decoding: try await aggregator.admin.getBytes(APIPath.adminWeights(model: "tiny", version: 1)))
        var devices: [TestDevice] = []
        for _ in 0..<6 { devices.append(try await aggregator.enroll()) }
        for device in devices { _ = try await device.watch(sampleCount: 30) }
        let round: RunInfo = try await aggregator.admin.post(
            APIPath.adminRuns,
            json: StartRunRequest(
                model: "tiny", clients: 6, minClients: 2, localEpochs: 1, learningRate: 0.1, rounds: 1, seed: 3,
                secureAggregationThreshold: 3, secureAggregationGroupSize: 3,
                serverOptimizer: .defaults(for: .fedavg)))
        var tasks: [RoundTask] = []
        for device in devices { tasks.append(try await device.nextTask()) }
        let secure = try tasks.map { try XCTUnwrap($0.secureAggregation) }

        let sessions = Dictionary(grouping: devices.indices, by: { secure[$0].sessionId })
        XCTAssertEqual(sessions.count, 2, "six devices in groups of three are two SecAgg+ sessions")
        XCTAssertEqual(Set(secure.map(\.clientCount)), [3])
        XCTAssertEqual(Set(secure.map(\.threshold)), [2], "each group keeps the cohort's share: ⌈3 × 3 / 6⌉")
        XCTAssertEqual(Set(secure.map(\.summandLimit)), [6], "every group's encoding leaves room for the cohort")
        XCTAssertEqual(Set(secure.map(\.graphSeed)).count, 2, "each group has its own neighbour graph")
        let groups = sessions.values.map { $0.sorted() }.sorted { $0[0] < $1[0] }
        let (kept, lost) = (groups[0], groups[1])
        for members in groups { XCTAssertEqual(Set(members.map { secure[$0].client }), [0, 1, 2]) }

        // Two of the second group's devices cannot take part: the group keeps one key, below its
        // threshold of two, and is dropped whole once key advertising closes.
        for index in lost.prefix(2) {
            let _: UpdateReceipt = try await devices[index].client.post(
                APIPath.deviceFailure(runId: round.id, round: 1),
                json: ClientFailureReport(reason: .noData, detail: "no training samples"))
        }
        let parameters = try secure[kept[0]].protocolParameters()
        var clients = try kept.map { try SecAggClient(parameters: parameters, index: secure[$0].client) }
        for (position, index) in kept.enumerated() {
            let _: SecureAggregationReceipt = try await devices[index].client.post(
                path(tasks[index], .advertiseKeys), json: try clients[position].advertiseKeys())
        }
        let last = lost[2]
        var lonely = try SecAggClient(parameters: try secure[last].protocolParameters(), index: secure[last].client)
        let _: SecureAggregationReceipt = try await devices[last].client.post(
            path(tasks[last], .advertiseKeys), json: try lonely.advertiseKeys())

        for (position, index) in kept.enumerated() {
            let neighbours: NeighbourKeys = try await devices[index].client.get(path(tasks[index], .shareKeys))
            let _: SecureAggregationReceipt = try await devices[index].client.post(
                path(tasks[index], .shareKeys), json: try clients[position].shareKeys(neighbours))
        }
        await assertAPIError(status: 409, code: "secagg_dropped") {
            try await devices[last].client.get(self.path(tasks[last], .shareKeys), as: NeighbourKeys.self)
        }
        let deltas: [Float] = [0.1, 0.5, -0.2]
        let samples = [30, 10, 20]
        var rng = SeededRNG(seed: 1)
        let codec = FixedPointCodec(parameters)
        for (position, index) in kept.enumerated() {
            let relayed: RelayedShares = try await devices[index].client.get(path(tasks[index], .maskedInput))
            let values = secure[index].agentInput(
                delta: deltas[position], parameterCount: base.model.parameters.count, samples: samples[position],
                accuracy: 0.5)
            let masked = try clients[position].maskInput(relayed, input: codec.encode(values, using: &rng))
            let _: SecureAggregationReceipt = try await devices[index].client.post(
                path(tasks[index], .maskedInput), bytes: masked.wireBytes)
        }
        for (position, index) in kept.enumerated() {
            let request: UnmaskingRequest = try await devices[index].client.get(path(tasks[index], .unmasking))
            let _: SecureAggregationReceipt = try await devices[index].client.post(
                path(tasks[index], .unmasking), json: try clients[position].unmask(request))
        }

        // The dropped group adds nothing: three updates, FedAvg of the kept devices.
        try await assertRoundMadeFedAvg(
            round.id, on: aggregator, model: "tiny", base: base, survivors: Array(kept.indices), samples: samples,
            deltas: deltas,
            accuracy: 1e-5)
        for device in devices { await device.client.shutdown() }
        try await aggregator.stop()
    }

    /// Under distributed privacy the aggregator sees every group's sum, so each must carry the
    /// run's whole noise on its own: devices size their noise for the smallest group's threshold.
    /// A device belongs to one group, so the group sums of a round compose in parallel and the
    /// run's accounting (one Gaussian release of multiplier σ per round) stays right.
    func test_distributedNoise_protectsEveryGroupSumOnItsOwn() throws {
        let sigma = 1.1
        let privacy = UserLevelPrivacy(mode: .distributed, clipNorm: 1, noiseMultiplier: sigma)
        let cohort = (0..<1_000).map { "device-\($0)" }
        let secure = try SecureRound(
            plan: SecureAggregationPlan(threshold: nil, deadlineSeconds: 60, groupSize: 100), cohort: cohort,
            sessionId: "run-1.1", graphSeed: 9, layout: .training(parameterCount: 50), minClients: 10,
            privacy: privacy, openedAt: Date())
        XCTAssertEqual(secure.groups.count, 10)
        let noise = try XCTUnwrap(secure.encoding?.deviceNoise)
        for group in secure.groups {
            let parameters = group.server.parameters
            XCTAssertEqual(parameters.clientCount, 100)
            let sum = try DistributedDiscreteGaussian(
                deviceStandardDeviation: noise.deviceStandardDeviation, parties: parameters.threshold,
                dimension: noise.dimension, sensitivity: noise.sensitivity)
            XCTAssertGreaterThanOrEqual(sum.equivalentNoiseMultiplier, sigma * (1 - 1e-9))
        }
        // Noise sized for the cohort's threshold, as one flat aggregation would, leaves a group short.
        let flat = try DistributedDiscreteGaussian.calibrated(
            noiseMultiplier: sigma, parties: secure.threshold, dimension: noise.dimension,
            sensitivity: noise.sensitivity)
        let group = try DistributedDiscreteGaussian(
            deviceStandardDeviation: flat.deviceStandardDeviation,
            parties: try XCTUnwrap(secure.groups.first).server.parameters.threshold, dimension: noise.dimension,
            sensitivity: noise.sensitivity)
        XCTAssertLessThan(group.equivalentNoiseMultiplier, sigma / 2)
    }

    func test_groupsAreNeverSmallerThanTheGroupSize_andKeepTheCohortsShareOfTheThreshold() {
        let plan = SecureAggregationPlan(threshold: nil, deadlineSeconds: 60, groupSize: 100)
        for cohort in [1, 99, 100, 199, 200, 1_001, 9_999, 10_000] {
            let groups = plan.groups(cohort: cohort)
            XCTAssertEqual(groups.map(\.count).reduce(0, +), cohort)
            XCTAssertEqual(groups.first?.lowerBound, 0)
            XCTAssertTrue(zip(groups, groups.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
            XCTAssertEqual(groups.count, max(1, cohort / 100))
            if cohort >= 100 { XCTAssertGreaterThanOrEqual(groups.map(\.count).min() ?? 0, 100) }
            XCTAssertLessThanOrEqual((groups.map(\.count).max() ?? 0) - (groups.map(\.count).min() ?? 0), 1)
        }
        XCTAssertEqual(plan.threshold(group: 100, cohort: 1_000, minClients: 10), 51, "a majority of the group")
        XCTAssertEqual(plan.threshold(group: 101, cohort: 1_000, minClients: 700), 71, "⌈700 × 101 / 1000⌉")
        let flat = SecureAggregationPlan(threshold: 40, deadlineSeconds: 60)
        XCTAssertEqual(flat.groups(cohort: 5_000), [0..<5_000])
        XCTAssertEqual(flat.threshold(group: 5_000, cohort: 5_000, minClients: 2), 40)
    }
}
