import Foundation
import Privacy
import SecureAggregation
import StarlingCore
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

@testable import StarlingAggregator

/// User-level privacy through the real aggregator over mutual TLS: the version it registers is the
/// mean of the clipped deltas over the cohort plus noise of the calibrated size, whether the
/// aggregator adds it (central) or the devices do under secure aggregation (distributed).
final class UserLevelPrivacyRoundTests: XCTestCase {
    private let architecture = "64-32-10"
    private let epsilon = 4.0
    private let deltas: [Float] = [0.1, -0.3]

    /// Every delta value is the same, so clipped to norm 1 each coordinate is ±1/√P.
    private func clippedMean(parameterCount: Int) -> Float {
        deltas.map { ($0 > 0 ? 1 : -1) / Float(Double(parameterCount).squareRoot()) }.reduce(0, +) / Float(deltas.count)
    }

    private func start(
        _ mode: PrivacyMode, secure: Bool
    ) async throws -> (TestAggregator, [TestDevice], ModelBundle, RunInfo, [RoundTask]) {
        let aggregator = try await TestAggregator.start()
        let _: ModelVersionInfo = try await aggregator.admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "dp", architecture: architecture, seed: 5))
        let base = try ModelBundle(
            decoding: try await aggregator.admin.getBytes(APIPath.adminWeights(model: "dp", version: 1)))
        let devices = [try await aggregator.enroll(), try await aggregator.enroll()]
        for device in devices { _ = try await device.watch(sampleCount: 30) }
        let round: RunInfo = try await aggregator.admin.post(
            APIPath.adminRuns,
            json: StartRunRequest(
                model: "dp", clients: 2, minClients: 2, localEpochs: 1, learningRate: 0.1, rounds: 1, seed: 3,
                secureAggregation: secure, privacy: PrivacyRequest(mode: mode, epsilon: epsilon, delta: 1e-5),
                serverOptimizer: .defaults(for: .fedavg)))
        var tasks: [RoundTask] = []
        for device in devices { tasks.append(try await device.nextTask()) }
        return (aggregator, devices, base, round, tasks)
    }

    /// The produced version's noise, (produced − base − clipped mean) per parameter, and the lineage.
    private func noise(
        _ aggregator: TestAggregator, base: ModelBundle, round: RunInfo
    ) async throws -> (residual: [Double], version: ModelVersionInfo) {
        let finished = try await waitForEnd(of: round.id, aggregator)
        XCTAssertEqual(finished.state, .completed, finished.failureReason ?? "")
        let produced = try ModelBundle(
            decoding: try await aggregator.admin.getBytes(APIPath.adminWeights(model: "dp", version: 2)))
        let mean = clippedMean(parameterCount: base.model.parameters.count)
        let residual = zip(produced.model.parameters, base.model.parameters).map { Double($0 - $1 - mean) }
        let versions: VersionList = try await aggregator.admin.get(APIPath.adminVersions(model: "dp"))
        return (residual, try XCTUnwrap(versions.versions.last))
    }

    /// The residual is zero-mean noise of standard deviation σ·C / cohort, within 8 % (P = 2410 values).
    private func assertNoise(_ residual: [Double], sigma: Double, file: StaticString = #filePath, line: UInt = #line) {
        let expected = sigma * 1 / Double(deltas.count)
        let mean = residual.reduce(0, +) / Double(residual.count)
        let deviation = (residual.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(residual.count - 1))
            .squareRoot()
        XCTAssertEqual(
            deviation / expected, 1, accuracy: 0.08, "noise σ \(deviation), expected \(expected)", file: file,
            line: line)
        XCTAssertEqual(mean, 0, accuracy: 5 * expected / Double(residual.count).squareRoot(), file: file, line: line)
    }

    private func assertPrivateLineage(
        _ version: ModelVersionInfo, _ mode: PrivacyMode, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(
            version.lineage.privacy, VersionPrivacy(mode: mode, epsilon: epsilon, delta: 1e-5), file: file, line: line)
        XCTAssertNil(version.metrics.evalAccuracy, "no noiseless metric leaves the aggregator", file: file, line: line)
        XCTAssertNil(version.metrics.trainSamples, file: file, line: line)
    }

    func test_centralPrivacyOverPlainUploads_clipsEachDelta_andAddsCalibratedNoiseToTheSum() async throws {
        let (aggregator, devices, base, round, tasks) = try await start(.central, secure: false)
        let sigma = try NoiseCalibration.noiseMultiplier(samplingRate: 1, steps: 1, epsilon: epsilon, delta: 1e-5)
        let privacy = try XCTUnwrap(tasks[0].privacy)
        XCTAssertEqual(privacy.noiseMultiplier ?? 0, sigma, accuracy: 1e-12)
        XCTAssertNil(privacy.deviceNoiseStandardDeviation, "central devices add no noise")
        XCTAssertEqual(round.privacy?.mode, .central)
        for (index, device) in devices.enumerated() {
            // Unclipped deltas: the aggregator clips them itself.
            let _: UpdateReceipt = try await device.client.post(
                APIPath.deviceUpdate(runId: tasks[index].runId, round: 1),
                bytes: UpdateBody.make(base.manifest.architecture, value: deltas[index]))
        }
        let (residual, version) = try await noise(aggregator, base: base, round: round)
        assertNoise(residual, sigma: sigma)
        assertPrivateLineage(version, .central)
        for device in devices { await device.client.shutdown() }
        try await aggregator.stop()
    }

    func test_distributedPrivacyWithoutSecureAggregation_isRefused() async throws {
        let aggregator = try await TestAggregator.start()
        let _: ModelVersionInfo = try await aggregator.admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "dp", architecture: architecture, seed: 5))
        await assertAPIError(status: 400, code: "privacy_needs_secure_aggregation") {
            try await aggregator.admin.post(
                APIPath.adminRuns,
                json: StartRunRequest(
                    model: "dp", clients: 2, minClients: 2, localEpochs: 1, learningRate: 0.1, rounds: 1,
                    secureAggregation: false, privacy: PrivacyRequest(mode: .distributed, epsilon: 1, delta: 1e-5)),
                as: RunInfo.self)
        }
        try await aggregator.stop()
    }

    func test_distributedPrivacy_devicesNoiseTheirEncodedDeltas_andTheSecureSumCarriesTheFullNoise() async throws {
        try await secureUserLevelRound(.distributed)
    }

    func test_centralPrivacyUnderSecureAggregation_noisesTheUnmaskedSum() async throws {
        try await secureUserLevelRound(.central)
    }

    /// Two devices walk the secure stages with clipped deltas in signed fixed point, adding the
    /// discrete Gaussian noise their task asks for (distributed) or none (central).
    private func secureUserLevelRound(_ mode: PrivacyMode) async throws {
        let (aggregator, devices, base, round, tasks) = try await start(mode, secure: true)
        let sigma = try NoiseCalibration.noiseMultiplier(samplingRate: 1, steps: 1, epsilon: epsilon, delta: 1e-5)
        let secure = try tasks.map { try XCTUnwrap($0.secureAggregation) }
        let count = base.model.parameters.count
        XCTAssertEqual(secure[0].vectorLength, count, "no metric slots under user-level privacy")
        let scale = try XCTUnwrap(secure[0].encodingScale)
        let deviceNoise = tasks[0].privacy?.deviceNoiseStandardDeviation
        if mode == .distributed {
            // Two devices, threshold two: each carries σ·Δ/√2 in integer units, Δ = C·scale + √P.
            let expected = sigma * (scale + Double(count).squareRoot()) / 2.0.squareRoot()
            XCTAssertEqual(try XCTUnwrap(deviceNoise) / expected, 1, accuracy: 1e-6)
        } else {
            XCTAssertNil(deviceNoise)
        }
        let parameters = try secure[0].protocolParameters()
        var clients = try secure.map { try SecAggClient(parameters: parameters, index: $0.client) }
        let path = { (stage: SecAggStage) in
            APIPath.deviceSecureAggregation(runId: tasks[0].runId, round: 1, stage: stage.pathComponent)
        }
        for index in 0..<2 {
            let _: SecureAggregationReceipt = try await devices[index].client.post(
                path(.advertiseKeys), json: try clients[index].advertiseKeys())
        }
        for index in 0..<2 {
            let neighbours: NeighbourKeys = try await devices[index].client.get(path(.shareKeys))
            let _: SecureAggregationReceipt = try await devices[index].client.post(
                path(.shareKeys), json: try clients[index].shareKeys(neighbours))
        }
        var random = SecureRandom(key: [UInt8](repeating: 3, count: 32))
        for index in 0..<2 {
            let relayed: RelayedShares = try await devices[index].client.get(path(.maskedInput))
            let delta = UpdateClipping.clip([Float](repeating: deltas[index], count: count), toNorm: 1)
            var values = SignedFixedPoint(scale: scale).round(delta, using: &random)
            if let deviceNoise {
                DiscreteGaussianNoise.add(standardDeviation: deviceNoise, to: &values, using: &random)
            }
            let masked = try clients[index].maskInput(relayed, input: SignedFixedPoint.wrap(values))
            let _: SecureAggregationReceipt = try await devices[index].client.post(
                path(.maskedInput), bytes: masked.wireBytes)
        }
        for index in 0..<2 {
            let request: UnmaskingRequest = try await devices[index].client.get(path(.unmasking))
            let _: SecureAggregationReceipt = try await devices[index].client.post(
                path(.unmasking), json: try clients[index].unmask(request))
        }
        let (residual, version) = try await noise(aggregator, base: base, round: round)
        assertNoise(residual, sigma: sigma)
        assertPrivateLineage(version, mode)
        for device in devices { await device.client.shutdown() }
        try await aggregator.stop()
    }
}
