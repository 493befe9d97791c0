import Foundation
import SecureAggregation
import StarlingCore
import StarlingMetrics
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

@testable import StarlingAggregator

/// `GET /metrics` on the public listener (admin token) and on the metrics listener (no token):
/// Prometheus text that promtool accepts, with the activity of a round, refinement and secure
/// aggregation in it, routes as templates and no ids in any label.
final class AggregatorMetricsTests: XCTestCase {
    private static let loopback = ListenAddress(host: "127.0.0.1", port: 0)
    private static let updateRoute = "/v1/device/runs/{id}/rounds/{n}/update"

    func test_metrics_afterAPlainRoundAndARefinement_passPromtool_andCountThem() async throws {
        let aggregator = try await TestAggregator.start(metricsListen: Self.loopback)
        let (round, member, task) = try await aggregator.startPlainRound(of: "m")
        let path = APIPath.deviceUpdate(runId: task.runId, round: task.round)
        await assertAPIError(status: 400, code: "update_shape_mismatch") {
            try await member.client.post(
                path, bytes: UpdateBody.make(try ModelArchitecture(parsing: "4-4-2"), value: 0.1),
                as: UpdateReceipt.self)
        }
        let _: UpdateReceipt = try await member.client.post(
            path, bytes: UpdateBody.make(try ModelArchitecture(parsing: "4-3-2"), value: 0.1))
        let finished = try await waitForEnd(of: round.id, aggregator)
        XCTAssertEqual(finished.state, .completed, finished.failureReason ?? "")
        let _: RefinementSettings = try await aggregator.admin.put(
            APIPath.adminRefinement, json: RefinementSettings(model: "m"))
        let _: Prediction = try await aggregator.admin.post(
            APIPath.refine, json: PredictRequest(key: nil, features: [0.1, 0.2, 0.3, 0.4]))

        let text = String(decoding: try await aggregator.admin.getBytes(APIPath.metrics), as: UTF8.self)
        try assertPromtoolAccepts(text)
        let samples = PrometheusSamples(text)
        XCTAssertEqual(samples.value("starling_updates_accepted_total", ["upload": "update"]), 1)
        XCTAssertEqual(
            samples.value("starling_updates_rejected_total", ["upload": "update", "code": "update_shape_mismatch"]), 1)
        XCTAssertEqual(samples.value("starling_updates_accepted_total", ["upload": "masked_input"]), 0)
        XCTAssertEqual(samples.value("starling_runs_total", ["kind": "train", "outcome": "completed"]), 1)
        XCTAssertEqual(samples.value("starling_runs_total", ["kind": "train", "outcome": "failed"]), 0)
        XCTAssertEqual(samples.value("starling_rounds_total", ["kind": "train", "outcome": "completed"]), 1)
        XCTAssertEqual(samples.value("starling_devices_enrolled"), 1)
        XCTAssertEqual(samples.value("starling_devices_online"), 1)
        XCTAssertEqual(samples.value("starling_registry_models"), 1)
        XCTAssertEqual(samples.value("starling_registry_versions"), 2)
        XCTAssertEqual(samples.value("starling_rollouts", ["phase": "running"]), 0)
        XCTAssertEqual(samples.value("starling_rollout_devices", ["state": "pending"]), 0)
        XCTAssertEqual(samples.value("starling_refine_duration_seconds_count"), 1)
        XCTAssertEqual(samples.value("starling_refine_predictions_total"), 1)

        let requests = "starling_http_request_duration_seconds_count"
        XCTAssertEqual(samples.value(requests, ["listener": "device", "route": Self.updateRoute, "status": "400"]), 1)
        XCTAssertEqual(
            samples.value(
                requests, ["listener": "device", "route": Self.updateRoute, "method": "POST", "status": "200"]), 1)
        XCTAssertTrue(samples.labelValues(requests, "route").contains("/v1/admin/runs/{id}"))
        XCTAssertFalse(text.contains(round.id), "a run id in a label")
        XCTAssertFalse(text.contains(member.id), "a device id in a label")
        try assertMetricFamilies(AggregatorMetricFamilies.all, in: text)

        let metricsURL = try XCTUnwrap(aggregator.endpoints.metricsUrl)
        let scraper = StarlingHTTPClient(baseURL: metricsURL, tls: nil)
        _ = try await scraper.getBytes(APIPath.metrics)
        let plain = String(decoding: try await scraper.getBytes(APIPath.metrics), as: UTF8.self)
        try assertPromtoolAccepts(plain)
        let scraped = PrometheusSamples(plain)
        XCTAssertEqual(scraped.value("starling_updates_accepted_total", ["upload": "update"]), 1)
        XCTAssertEqual(scraped.value(requests, ["listener": "metrics", "route": "/metrics", "status": "200"]), 1)
        await scraper.shutdown()
        await member.client.shutdown()
        try await aggregator.stop()
    }

    func test_metrics_onThePublicListener_needAWorkingAdminTokenOfAnyRole_andTheMetricsListenerServesNothingElse()
        async throws
    {
        let aggregator = try await TestAggregator.start(metricsListen: Self.loopback)
        let metricsURL = try XCTUnwrap(aggregator.endpoints.metricsUrl)
        XCTAssertTrue(metricsURL.hasPrefix("http://127.0.0.1:"), metricsURL)
        XCTAssertTrue(
            aggregator.lines.all.last?.hasSuffix("(metrics: \(metricsURL))") ?? false, "\(aggregator.lines.all)")
        let written = try StarlingJSON.decoder().decode(
            AggregatorEndpoints.self,
            from: try Data(contentsOf: aggregator.folder.appendingPathComponent("aggregator.json")))
        XCTAssertEqual(written.metricsUrl, metricsURL)

        let anonymous = try TestAggregator.client(aggregator.endpoints.url, caPEM: aggregator.caPEM)
        let intruder = try TestAggregator.client(aggregator.endpoints.url, caPEM: aggregator.caPEM, token: "stk_wrong")
        for client in [anonymous, intruder] {
            await assertAPIError(status: 401, code: "unauthorized") { try await client.getBytes(APIPath.metrics) }
        }
        await assertAPIError(status: 404, code: "not_found") { try await anonymous.getBytes("/no/such/path") }
        let scraper = StarlingHTTPClient(baseURL: metricsURL, tls: nil)
        await assertAPIError(status: 404, code: "not_found") { try await scraper.getBytes(APIPath.adminDevices) }
        await assertAPIError(status: 404, code: "not_found") { try await scraper.getBytes(APIPath.healthz) }

        let viewerToken: CreatedAdminToken = try await aggregator.admin.post(
            APIPath.adminTokens, json: CreateAdminTokenRequest(role: "viewer"))
        let viewer = try TestAggregator.client(
            aggregator.endpoints.url, caPEM: aggregator.caPEM, token: viewerToken.token)
        let viewed = String(decoding: try await viewer.getBytes(APIPath.metrics), as: UTF8.self)
        XCTAssertTrue(viewed.contains("starling_devices_enrolled"), "a viewer token reads the metrics")
        let _: AdminTokenInfo = try await aggregator.admin.post(
            APIPath.adminTokenRevocation(id: viewerToken.info.id), json: [String: String]())
        await assertAPIError(status: 401, code: "token_revoked") { try await viewer.getBytes(APIPath.metrics) }

        let text = String(decoding: try await aggregator.admin.getBytes(APIPath.metrics), as: UTF8.self)
        let samples = PrometheusSamples(text)
        let requests = "starling_http_request_duration_seconds_count"
        XCTAssertEqual(samples.value(requests, ["listener": "public", "route": "/metrics", "status": "401"]), 3)
        XCTAssertEqual(samples.value(requests, ["listener": "public", "route": "/metrics", "status": "200"]), 1)
        XCTAssertEqual(samples.value(requests, ["listener": "public", "route": "unmatched", "status": "404"]), 1)
        XCTAssertEqual(samples.value(requests, ["listener": "metrics", "route": "unmatched", "status": "404"]), 2)
        XCTAssertFalse(text.contains("/no/such/path"), "a raw path in a label")
        for client in [anonymous, intruder, viewer, scraper] { await client.shutdown() }
        try await aggregator.stop()
    }

    func test_aggregator_withoutMetricsListen_bindsNoMetricsListener() async throws {
        let aggregator = try await TestAggregator.start()
        XCTAssertNil(aggregator.endpoints.metricsUrl)
        XCTAssertFalse(aggregator.lines.all.last?.contains("metrics") ?? true, "\(aggregator.lines.all)")
        try await aggregator.stop()
    }

    /// Three devices are chosen; one never advertises its keys, so the key stage closes at the
    /// round's deadline with one dropout, and the other two finish the secure round.
    func test_secureRound_withADeviceThatNeverAnswers_timesEveryStage_andCountsTheDropout() async throws {
        let aggregator = try await TestAggregator.start()
        let _: ModelVersionInfo = try await aggregator.admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "s", architecture: "4-3-2", seed: 7))
        let devices = [try await aggregator.enroll(), try await aggregator.enroll(), try await aggregator.enroll()]
        for device in devices { _ = try await device.watch(sampleCount: 30) }
        let round: RunInfo = try await aggregator.admin.post(
            APIPath.adminRuns,
            json: StartRunRequest(
                model: "s", clients: 3, minClients: 2, localEpochs: 1, learningRate: 0.1, rounds: 1, deadlineSeconds: 3,
                seed: 5, serverOptimizer: .defaults(for: .fedavg)))
        var tasks: [RoundTask] = []
        for device in devices { tasks.append(try await device.nextTask()) }
        let secure = try tasks.map { try XCTUnwrap($0.secureAggregation) }
        let parameters = try secure[0].protocolParameters()
        let answering = [0, 1]
        var clients = try answering.map { try SecAggClient(parameters: parameters, index: secure[$0].client) }
        func path(_ stage: SecAggStage) -> String {
            APIPath.deviceSecureAggregation(runId: round.id, round: 1, stage: stage.pathComponent)
        }
        for index in answering {
            let _: SecureAggregationReceipt = try await devices[index].client.post(
                path(.advertiseKeys), json: try clients[index].advertiseKeys())
        }
        for index in answering {
            let neighbours: NeighbourKeys = try await devices[index].client.get(path(.shareKeys))
            let _: SecureAggregationReceipt = try await devices[index].client.post(
                path(.shareKeys), json: try clients[index].shareKeys(neighbours))
        }
        var rng = SeededRNG(seed: 1)
        let codec = FixedPointCodec(parameters)
        let parameterCount = secure[0].vectorLength - SecureMetricsLayout.trainingSlots
        for index in answering {
            let relayed: RelayedShares = try await devices[index].client.get(path(.maskedInput))
            let values = secure[index].agentInput(
                delta: 0.1, parameterCount: parameterCount, samples: 30, accuracy: 0.5)
            let masked = try clients[index].maskInput(relayed, input: codec.encode(values, using: &rng))
            let _: SecureAggregationReceipt = try await devices[index].client.post(
                path(.maskedInput), bytes: masked.wireBytes)
        }
        for index in answering {
            let request: UnmaskingRequest = try await devices[index].client.get(path(.unmasking))
            let _: SecureAggregationReceipt = try await devices[index].client.post(
                path(.unmasking), json: try clients[index].unmask(request))
        }
        let finished = try await waitForEnd(of: round.id, aggregator)
        XCTAssertEqual(finished.state, .completed, finished.failureReason ?? "")

        let text = String(decoding: try await aggregator.admin.getBytes(APIPath.metrics), as: UTF8.self)
        try assertPromtoolAccepts(text)
        let samples = PrometheusSamples(text)
        for stage in SecAggStage.allCases {
            XCTAssertEqual(
                samples.value("starling_secagg_stage_duration_seconds_count", ["stage": stage.rawValue]), 1,
                stage.rawValue)
            XCTAssertEqual(
                samples.value("starling_secagg_dropouts_total", ["stage": stage.rawValue]),
                stage == .advertiseKeys ? 1 : 0, stage.rawValue)
        }
        let keyStage = try XCTUnwrap(
            samples.value("starling_secagg_stage_duration_seconds_sum", ["stage": SecAggStage.advertiseKeys.rawValue]))
        XCTAssertGreaterThanOrEqual(keyStage, 2.9, "the key stage waited for the round's deadline")
        XCTAssertEqual(samples.value("starling_updates_accepted_total", ["upload": "masked_input"]), 2)
        XCTAssertEqual(samples.value("starling_rounds_total", ["kind": "train", "outcome": "completed"]), 1)
        try assertMetricFamilies(AggregatorMetricFamilies.all, in: text)
        for device in devices { await device.client.shutdown() }
        try await aggregator.stop()
    }
}
