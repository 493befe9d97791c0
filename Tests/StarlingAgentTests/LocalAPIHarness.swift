import Foundation
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport

@testable import StarlingAgent

/// Runs a real local API server on 127.0.0.1 (port 0) around `body`, which talks to it over HTTP;
/// every answer the client receives is checked against docs/openapi.yaml.
func withLocalAPI(
    model: InstalledModel?, refiner: (any Refiner)? = nil, refineTimeout: Duration = .milliseconds(200),
    privacyBudget: PrivacyBudget? = nil, limits: ConnectionLimits = LocalAPIServer.standardLimits,
    monitoring: MonitorSettings = MonitorSettings(),
    clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
    _ body: (StarlingHTTPClient, AgentStore) async throws -> Void
) async throws {
    let folder = try makeFreshDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let store = try AgentStore(path: folder.appendingPathComponent("agent.sqlite"))
    let slot = ModelSlot(model)
    let counters = try await CounterLedger.load(from: store)
    let metrics = AgentMetrics()
    let monitor = PredictionMonitor(settings: monitoring, clock: clock)
    let predictor = TwoPhasePredictor(
        slot: slot, refiner: refiner, refineTimeout: refineTimeout, counters: counters, metrics: metrics,
        monitor: monitor, logger: testLogger)
    let router = LocalAPIRouter(
        deviceId: "dev-000000000001", predictor: predictor, store: store, counters: counters, slot: slot,
        connection: ConnectionState(), privacy: PrivacyLedger(store: store, budget: privacyBudget), metrics: metrics,
        monitoring: Monitoring(
            monitor: monitor, writer: MonitorWriter(monitor: monitor, store: store), store: store, slot: slot,
            experiments: ExperimentSlot(seed: 1)))
    let server = try await LocalAPIServer.bind(
        host: "127.0.0.1", port: 0, socketPath: nil, responder: router, limits: limits, logger: testLogger)
    let client = StarlingHTTPClient(
        baseURL: server.url, tls: nil, observer: OpenAPIContract.failingTestOnViolation)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.run() }
        do {
            try await body(client, store)
        } catch {
            group.cancelAll()
            await client.shutdown()
            throw error
        }
        group.cancelAll()
    }
    await client.shutdown()
}

/// A refiner that always answers phase two with the label "refined".
struct AnsweringRefiner: Refiner {
    func refine(_ items: [PredictRequest], timeout: Duration) async throws(AgentError) -> [Prediction] {
        items.map { _ in
            Prediction(
                key: nil, label: "refined", probabilities: [0, 1], phase: 2, modelVersion: "big@1", degraded: false)
        }
    }
}
