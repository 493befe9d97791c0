import Foundation
import Quantization
import StarlingCore
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

@testable import StarlingAgent

/// The agent's monitors, per installed version: counts, latency, confidence and escalations, and
/// drift of the inputs from the model's training profile (PSI and KS on its decile bins); windows
/// close on time and stay within their bound on disk.
final class MonitorTests: XCTestCase {
    /// The toy model with a drift reference fitted on features spread evenly over 0…1.
    func makeProfiledToyModel() throws -> InstalledModel {
        var statistics = FeatureStatistics(width: 2)
        var random = SeededRNG(seed: 7)
        var features: [Float] = []
        for _ in 0..<2_000 {
            features += [Float.random(in: 0..<1, using: &random), Float.random(in: 0..<1, using: &random)]
        }
        statistics.add(features: features, rows: 2_000)
        let profile = try FeatureProfile(name: "toy-inputs", version: 1, statistics: statistics, devices: 1)
        let toy = try makeToyBundle()
        var manifest = toy.manifest
        manifest = try ModelManifest(
            name: manifest.name, version: manifest.version, architecture: manifest.architecture,
            labels: manifest.labels, preprocessing: manifest.preprocessing,
            profile: ProfileReference(name: "toy-inputs", version: 1), drift: DriftReference(profile: profile),
            confidenceThreshold: manifest.confidenceThreshold)
        let bundle = try ModelBundle(manifest: manifest, model: toy.model)
        let int8 = try makeInt8Artifact(bundle)
        return InstalledModel(
            int8: try Int8Bundle(decoding: int8), name: "toy", version: 3,
            sha256: ContentDigest.sha256Hex(bundle.encoded()), sha256Int8: ContentDigest.sha256Hex(int8))
    }

    func test_inputsLikeTheProfile_driftLittle_andShiftedInputs_driftALot() async throws {
        let model = try makeProfiledToyModel()
        let reference = try XCTUnwrap(model.manifest.drift)
        for shares in reference.shares {
            // Whole buckets of the profile's log grid (8 per decade) make the bins: near 1 they are
            // coarser than a tenth, so an even spread over 0…1 gets fewer than ten.
            XCTAssertTrue((5...DriftReference.maximumBins).contains(shares.count), "\(shares)")
        }
        for shares in reference.shares {
            XCTAssertEqual(shares.reduce(0, +), 1, accuracy: 1e-9)
        }
        var random = SeededRNG(seed: 11)
        try await withLocalAPI(model: model) { client, _ in
            await assertAPIError(status: 400, code: "invalid_features") {
                try await client.post(
                    APIPath.agentPredict, json: PredictRequest(key: nil, features: [1]), as: Prediction.self)
            }
            let empty: MonitorReport = try await client.get(APIPath.agentMonitor)
            XCTAssertEqual(empty.versions.first?.drift, [nil, nil], "no inputs yet: no drift to measure")
            let like = (0..<400).map { _ in
                PredictRequest(
                    key: nil,
                    features: [Double.random(in: 0..<1, using: &random), Double.random(in: 0..<1, using: &random)])
            }
            let _: PredictionBatch = try await client.post(
                APIPath.agentPredictBatch, json: PredictBatchRequest(items: like))
            let before: MonitorReport = try await client.get(APIPath.agentMonitor)
            let calm = try XCTUnwrap(before.versions.first?.drift.first ?? nil)
            XCTAssertLessThan(calm.psi, 0.1, "same distribution: stable")
            XCTAssertLessThan(calm.ks, 0.1)

            let shifted = (0..<400).map { _ in
                PredictRequest(
                    key: nil,
                    features: [Double.random(in: 0.6..<1.6, using: &random), Double.random(in: 0..<1, using: &random)])
            }
            let _: PredictionBatch = try await client.post(
                APIPath.agentPredictBatch, json: PredictBatchRequest(items: shifted))
            let after: MonitorReport = try await client.get(APIPath.agentMonitor)
            let toy = try XCTUnwrap(after.versions.first)
            XCTAssertEqual(toy.requests, 800)
            XCTAssertEqual(after.unsampledCalls, 0, "nothing was left out at this load")
            XCTAssertEqual(after.droppedPredictions, 0)
            let moved = try XCTUnwrap(toy.drift.first ?? nil)
            XCTAssertGreaterThan(moved.psi, 0.25, "half the inputs moved past the profile: a major shift")
            XCTAssertGreaterThan(moved.ks, 0.2)
            XCTAssertEqual(toy.topDrift.first?.feature, 0, "feature 0 drifted most")
            let steady = try XCTUnwrap(toy.drift.last ?? nil)
            XCTAssertLessThan(steady.psi, 0.1, "feature 1 did not move")
            XCTAssertEqual(toy.confidence.reduce(0, +), 800)
            XCTAssertNotNil(toy.latencyP50Ms)
        }
    }

    func test_escalationsDegradedAnswersAndErrors_areCountedPerVersion() async throws {
        try await withLocalAPI(model: try makeToyModel(), refiner: nil) { client, _ in
            // (1, 1) is a coin toss below the 0.8 threshold: sent to phase two, which is absent.
            let _: PredictionBatch = try await client.post(
                APIPath.agentPredictBatch,
                json: PredictBatchRequest(items: [
                    PredictRequest(key: nil, features: [1, 1]), PredictRequest(key: nil, features: [1, 0]),
                ]))
            await assertAPIError(status: 400, code: "invalid_features") {
                try await client.post(
                    APIPath.agentPredict, json: PredictRequest(key: nil, features: [1]), as: Prediction.self)
            }
            let report: MonitorReport = try await client.get(APIPath.agentMonitor)
            let toy = try XCTUnwrap(report.versions.first)
            XCTAssertEqual(toy.requests, 2)
            XCTAssertEqual(toy.phaseTwoRate, 0.5)
            XCTAssertEqual(toy.degradedRate, 0.5)
            XCTAssertEqual(toy.errorRate, 1.0 / 3.0)
            XCTAssertEqual(toy.drift, [], "a model without a profile has no drift reference")
            await assertAPIError(status: 400, code: "invalid_request") {
                try await client.get(APIPath.agentMonitor + "?window=5", as: MonitorReport.self)
            }
        }
    }

    func test_windowsClose_onTime_andTheOldestGoFirstPastTheLimit() async throws {
        let clock = FeedbackTests.TestClock()
        let settings = MonitorSettings(windowSeconds: 60, windowLimit: 3)
        let store = try AgentStore(path: try makeTemporaryDirectory().appendingPathComponent("agent.sqlite"))
        let monitor = PredictionMonitor(settings: settings) { clock.now }
        let writer = MonitorWriter(monitor: monitor, store: store)
        let model = try makeToyModel()
        let answer = Prediction(
            key: nil, label: "a", probabilities: [0.9, 0.1], phase: 1, modelVersion: "toy@3", degraded: false)
        for _ in 0..<5 {
            monitor.record(
                model, items: [PredictRequest(key: nil, features: [1, 0])], answers: [answer], escalated: [],
                degraded: 0, latency: .microseconds(40))
            clock.advance(60)
            try await writer.flush()
        }
        let kept = try await store.monitorWindows(since: 0)
        XCTAssertEqual(kept.count, 3, "three windows at most on disk")
        XCTAssertEqual(kept.map(\.requests), [1, 1, 1])
        XCTAssertEqual(kept.map(\.start), kept.map(\.start).sorted())
        XCTAssertEqual(kept.last.map { $0.start + $0.seconds }, (clock.now / 60).rounded(.down) * 60)
        XCTAssertEqual(kept.first?.latency[MonitorWindow.latencyBucket(microseconds: 40)], 1)
        XCTAssertTrue(monitor.openWindows().isEmpty, "nothing was predicted in the window open now")
    }

    func test_turnedOff_theAgentKeepsNoPredictions() async throws {
        try await withLocalAPI(model: try makeToyModel(), monitoring: MonitorSettings(enabled: false)) {
            client, store in
            let _: Prediction = try await client.post(
                APIPath.agentPredict, json: PredictRequest(key: "k", features: [1, 0]))
            await assertAPIError(status: 404, code: "prediction_not_found") {
                try await client.post(
                    APIPath.agentFeedback, json: FeedbackRequest(key: "k", label: "a"), as: FeedbackReceipt.self)
            }
            let report: MonitorReport = try await client.get(APIPath.agentMonitor)
            XCTAssertEqual(report.versions, [])
            let kept = try await store.predictionCount()
            XCTAssertEqual(kept, 0)
        }
    }

    func test_theBackgroundBinner_countsExactlyAsTheReferenceBins_andLatencyBucketsFollowTheirBounds() throws {
        let reference = try XCTUnwrap(try makeProfiledToyModel().manifest.drift)
        var binner = DriftBinner(reference)
        var expected = reference.shares.map { [Int](repeating: 0, count: $0.count) }
        var random = SeededRNG(seed: 3)
        for _ in 0..<1_000 {
            let row = [Double.random(in: -0.5..<1.5, using: &random), Double.random(in: -0.5..<1.5, using: &random)]
            binner.add(row)
            for (feature, value) in row.enumerated() {
                expected[feature][reference.bin(of: value, feature: feature)] += 1
            }
        }
        binner.add([1, 2, 3])
        XCTAssertEqual(binner.perFeature, expected, "a row of another width is left out")
        for (microseconds, bucket) in [(0, 0), (16, 0), (17, 1), (32, 1), (33, 2), (4_194_304, 18), (4_194_305, 19)] {
            XCTAssertEqual(MonitorWindow.latencyBucket(microseconds: microseconds), bucket, "\(microseconds) µs")
        }
        XCTAssertEqual(MonitorWindow.latencyBucket(microseconds: .max), MonitorWindow.latencyBoundsMicroseconds.count)
    }
}
