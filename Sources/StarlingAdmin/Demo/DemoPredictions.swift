import StarlingCore
import StarlingProtocol
import StarlingTransport

/// Sends held-out rows through agents' local prediction APIs (batch form, spread over the agents)
/// and scores what comes back: accuracy, phase-two rate and degraded rate.
public struct DemoPredictions: Sendable {
    public var count: Int
    public var accuracy: Double
    public var phase2Rate: Double
    public var degradedRate: Double

    public static let batchSize = 32

    /// Serves every row of `data` and scores the answers against its labels.
    public static func serve(_ data: Dataset, classes: [String], through agentURLs: [String]) async throws(AdminError)
        -> DemoPredictions
    {
        let clients = agentURLs.map { StarlingHTTPClient(baseURL: $0, tls: nil) }
        let result: Result<DemoPredictions, AdminError>
        do {
            result = .success(try await score(data, classes: classes, clients: clients))
        } catch {
            result = .failure(error)
        }
        for client in clients { await client.shutdown() }
        return try result.get()
    }

    private static func score(_ data: Dataset, classes: [String], clients: [StarlingHTTPClient])
        async throws(AdminError) -> DemoPredictions
    {
        var correct = 0
        var phaseTwo = 0
        var degraded = 0
        var start = 0
        var batchIndex = 0
        while start < data.count {
            let end = min(start + batchSize, data.count)
            let items = (start..<end).map { row in
                PredictRequest(
                    key: "row-\(row)",
                    features: data.features[(row * data.featureCount)..<((row + 1) * data.featureCount)].map(
                        Double.init))
            }
            let client = clients[batchIndex % clients.count]
            let batch: PredictionBatch
            do {
                batch = try await client.post(APIPath.agentPredictBatch, json: PredictBatchRequest(items: items))
            } catch {
                throw .failed("agent \(client.baseURL) did not answer a prediction batch: \(error)")
            }
            guard batch.predictions.count == items.count else {
                throw .failed(
                    "agent \(client.baseURL) answered \(batch.predictions.count) of \(items.count) predictions")
            }
            for (offset, prediction) in batch.predictions.enumerated() {
                if prediction.label == classes[data.labels[start + offset]] { correct += 1 }
                if prediction.phase == 2 { phaseTwo += 1 }
                if prediction.degraded { degraded += 1 }
            }
            start = end
            batchIndex += 1
        }
        let total = Double(max(data.count, 1))
        return DemoPredictions(
            count: data.count, accuracy: Double(correct) / total, phase2Rate: Double(phaseTwo) / total,
            degradedRate: Double(degraded) / total)
    }
}
