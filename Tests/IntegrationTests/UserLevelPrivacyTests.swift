import Foundation
import StarlingAdmin
import StarlingCore
import StarlingProtocol
import StarlingTransport
import XCTest

/// User-level privacy over real agent processes: devices clip their whole update, and the model
/// moves by the clipped mean whether the aggregator adds the noise (central) or the devices do
/// under secure aggregation (distributed); each device's ledger counts the rounds it joined.
final class UserLevelPrivacyTests: XCTestCase {
    func test_distributedAndCentralRounds_moveTheModelByTheNoisyClippedMean_andChargeEveryDevice() async throws {
        let aggregator = try await AggregatorHarness.start(for: self)
        _ = try await aggregator.admin.createModel(CreateModelRequest(name: "user", architecture: "64-16-10", seed: 3))
        let apis = try await aggregator.startAgents(3, rows: 120)
        let clipNorm = 0.2
        func run(_ mode: PrivacyMode, secure: Bool) async throws -> (RunInfo, [Float]) {
            // ε = 10^6 keeps the noise small next to the clipped mean, so the two modes can be compared.
            let started = try await aggregator.admin.startRun(
                StartRunRequest(
                    model: "user", baseVersion: 1, clients: 3, minClients: 3, localEpochs: 2, learningRate: 0.1,
                    rounds: 1,
                    deadlineSeconds: 60, seed: 5, secureAggregation: secure,
                    privacy: PrivacyRequest(mode: mode, epsilon: 1e6, delta: 1e-5, clipNorm: clipNorm)))
            let admin = aggregator.admin
            let info = try await Wait.until(
                "round \(started.id) to end", timeout: .seconds(120), interval: .milliseconds(100)
            ) {
                guard let info = try? await admin.run(id: started.id), info.state.isFinal else {
                    return nil as RunInfo?
                }
                return info
            }
            XCTAssertEqual(info.state, .completed, info.failureReason ?? "")
            let version = try XCTUnwrap(info.rounds.first?.producedVersion)
            let base = try ModelBundle(decoding: try await admin.weights(model: "user", version: 1)).model.parameters
            let produced = try ModelBundle(decoding: try await admin.weights(model: "user", version: version)).model
                .parameters
            return (info, zip(produced, base).map { $0 - $1 })
        }
        let (distributed, viaDevices) = try await run(.distributed, secure: true)
        let (central, viaAggregator) = try await run(.central, secure: false)
        XCTAssertEqual(distributed.privacy?.mode, .distributed)
        XCTAssertEqual(central.privacy?.mode, .central)

        func norm(_ values: [Float]) -> Double { values.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot() }
        XCTAssertGreaterThan(norm(viaAggregator), 0.05, "the round moved the model")
        XCTAssertLessThan(
            norm(viaAggregator), clipNorm * 1.1, "a mean of updates clipped to C is within C, plus a little noise")
        XCTAssertLessThan(norm(viaDevices), clipNorm * 1.1)
        let dot = zip(viaDevices, viaAggregator).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        XCTAssertGreaterThan(
            dot / (norm(viaDevices) * norm(viaAggregator)), 0.95, "both modes move the model by the clipped mean")

        let versions = try await aggregator.admin.versions(model: "user")
        XCTAssertEqual(versions.compactMap(\.lineage.privacy?.mode), [.distributed, .central])
        XCTAssertTrue(
            versions.dropFirst().allSatisfy { $0.metrics.evalAccuracy == nil }, "no noiseless metric is published")
        for api in apis {
            let status: AgentStatus = try await aggregator.client(baseURL: api, tls: nil).get(APIPath.agentStatus)
            XCTAssertEqual(status.privacy?.runs, 2, "each user-level round the device joined is in its ledger")
        }
    }
}
