import SecureAggregation
import StarlingProtocol

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
