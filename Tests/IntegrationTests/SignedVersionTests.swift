import Crypto
import Foundation
import StarlingAdmin
import StarlingCore
import StarlingProtocol
import StarlingTransport
import XCTest

/// An agent runs only versions its aggregator signed and whose artifacts match their digests. An
/// aggregator whose own copy of an artifact was altered on its disk detects it by the digest, takes the
/// bytes again from the database that every replica shares and rewrites its copy: the agent installs
/// the signed version, never the altered bytes. (The agent's own refusal of bytes that do not match,
/// which halts a rollout, is proved against a scripted aggregator in `WatchFlowTests`.)
final class SignedVersionTests: XCTestCase {
    func test_tamperedArtifactOnTheAggregatorsDisk_isReplacedByTheSignedBytes_andTheAgentInstallsThem() async throws {
        let aggregator = try await AggregatorHarness.start(for: self)
        let admin = aggregator.admin
        let first = try await admin.createModel(CreateModelRequest(name: "sig", architecture: "64-8-10", seed: 1))
        XCTAssertFalse(first.signature.isEmpty)
        let apiURL = try await aggregator.startAgent(
            0, csv: try TestData.digitsSlice(0..<40, in: aggregator.folder, name: "a.csv"))
        try await aggregator.waitForOnlineDevices(1)
        let good = try await admin.deploy(CreateDeploymentRequest(model: "sig", version: 1, selector: .all))
        _ = try await Wait.until("the agent to install sig@1", timeout: .seconds(30)) {
            (try? await admin.deployment(id: good.id))?.counts.installed == 1 ? true : nil
        }

        let second = try await admin.importModel(
            safetensors: try await admin.weights(model: "sig", version: 1), name: "sig")
        XCTAssertEqual(second.version, 2)
        let artifact = aggregator.fleet.aggregatorDirectory.appendingPathComponent("models/sig/2.int8.safetensors")
        var bytes = Array(try Data(contentsOf: artifact))
        bytes[bytes.count - 3] ^= 0x5A
        try Data(bytes).write(to: artifact)

        let next = try await admin.deploy(CreateDeploymentRequest(model: "sig", version: 2, selector: .all))
        _ = try await Wait.until("the agent to install sig@2", timeout: .seconds(30)) {
            (try? await admin.deployment(id: next.id))?.counts.installed == 1 ? true : nil
        }
        let local = aggregator.client(baseURL: apiURL, tls: nil)
        let status: AgentStatus = try await local.get(APIPath.agentStatus)
        XCTAssertEqual(status.runningModel, "sig@2")
        let answer: Prediction = try await local.post(
            APIPath.agentPredict, json: PredictRequest(key: "r0", features: [Double](repeating: 0, count: 64)))
        XCTAssertEqual(answer.modelVersion, "sig@2")
        XCTAssertEqual(
            SHA256.hash(data: try Data(contentsOf: artifact)).hex, second.sha256Int8,
            "the aggregator's copy was rewritten with the signed bytes")
    }
}
