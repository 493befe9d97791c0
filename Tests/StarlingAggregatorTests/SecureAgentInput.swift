import SecureAggregation
import StarlingProtocol
import StarlingTestSupport
import XCTest

extension SecureAggregationTask {
    /// What an agent masks and sends in this secure round: every one of `parameterCount` parameters
    /// moved by `delta` and weighted by `samples` (capped at the task's weight cap), then its
    /// training figures laid out by ``SecureMetricsLayout``.
    func agentInput(delta: Float, parameterCount: Int, samples: Int, accuracy: Double) -> [Float] {
        let weight = Float(SecureMetricsLayout.weight(samples, cap: weightCap))
        return [Float](repeating: weight * delta, count: parameterCount)
            + SecureMetricsLayout.training(
                trainSamples: samples, trainLoss: 0.5, evalSamples: samples, evalAccuracy: accuracy,
                weightCap: weightCap)
    }

    /// The SecAgg+ parameters a device derives from this task, as the agent does.
    func protocolParameters() throws -> SecAggParameters {
        try SecAggParameters(
            roundId: sessionId, clientCount: clientCount, threshold: threshold, vectorLength: vectorLength,
            clippingRange: clippingRange, graphSeed: graphSeed, neighbourCount: neighbourCount,
            summandLimit: summandLimit)
    }
}

extension XCTestCase {
    /// An aggregator holding the model "tiny" (4-3-2) and `count` enrolled devices that have each
    /// watched once with 30 samples, all stopped when the test ends.
    func tinyModelAggregator(watchingDevices count: Int) async throws -> (TestAggregator, [TestDevice]) {
        let aggregator = try await TestAggregator.start()
        addTeardownBlock { try await aggregator.stop() }
        let _: ModelVersionInfo = try await aggregator.admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "tiny", architecture: "4-3-2", seed: 7))
        var devices: [TestDevice] = []
        for _ in 0..<count {
            let device = try await aggregator.enroll()
            addTeardownBlock { await device.client.shutdown() }
            devices.append(device)
        }
        for device in devices { _ = try await device.watch(sampleCount: 30) }
        return (aggregator, devices)
    }
}
