import Foundation
import StarlingAdmin
import StarlingCore
import StarlingProtocol
import StarlingTransport
import XCTest

/// An agent runs only versions its aggregator signed and whose artifacts match: the real aggregator
/// serves a version whose int8 artifact was altered on its disk, the agent refuses it, reports the
/// failure (which halts the rollout) and keeps serving the version it had.
final class SignedVersionTests: XCTestCase {
    func test_tamperedArtifact_isRefused_andTheAgentKeepsServingItsModel() async throws {
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

        let tampered = try await admin.deploy(CreateDeploymentRequest(model: "sig", version: 2, selector: .all))
        let halted = try await Wait.until("the rollout of sig@2 to halt", timeout: .seconds(30)) {
            guard let info = try? await admin.deployment(id: tampered.id), info.state == .halted else {
                return nil as DeploymentInfo?
            }
            return info
        }
        XCTAssertTrue(
            halted.reason?.contains("SHA-256") ?? false,
            "the device's refusal halts the rollout: \(halted.reason ?? "")")
        XCTAssertEqual(halted.counts.rolledBack, 1, "the device is sent back to sig@1")
        let local = aggregator.client(baseURL: apiURL, tls: nil)
        let status: AgentStatus = try await local.get(APIPath.agentStatus)
        XCTAssertEqual(status.runningModel, "sig@1", "the agent keeps serving the model it had")
        let row = [Double](repeating: 0, count: 64)
        let answer: Prediction = try await local.post(
            APIPath.agentPredict, json: PredictRequest(key: "r0", features: row))
        XCTAssertEqual(answer.modelVersion, "sig@1")
        let log = try String(contentsOf: aggregator.folder.appendingPathComponent("agent-0.log"), encoding: .utf8)
        XCTAssertTrue(log.contains("SHA-256"), "the refusal names the digest: \(log)")
    }
}
