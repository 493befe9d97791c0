import StarlingProtocol
import StarlingTransport

/// Phase two of prediction: a larger model elsewhere answers what the device's model is unsure of.
/// A protocol so tests can stand in a slow or absent refiner.
public protocol Refiner: Sendable {
    /// Phase-two answers for `items`, in order, within `timeout`.
    func refine(_ items: [PredictRequest], timeout: Duration) async throws(AgentError) -> [Prediction]
}

/// The aggregator's `POST /v1/refine` over the device's mutual-TLS client: the single form for one
/// item, the batch form for several.
public struct AggregatorRefiner: Refiner {
    let client: StarlingHTTPClient

    public init(client: StarlingHTTPClient) {
        self.client = client
    }

    public func refine(_ items: [PredictRequest], timeout: Duration) async throws(AgentError) -> [Prediction] {
        do {
            if items.count == 1 {
                let answer: Prediction = try await client.post(APIPath.refine, json: items[0], timeout: timeout)
                return [answer]
            }
            let batch: PredictionBatch = try await client.post(
                APIPath.refine, json: PredictBatchRequest(items: items), timeout: timeout)
            guard batch.predictions.count == items.count else {
                throw AgentError.aggregator("refine answered \(batch.predictions.count) of \(items.count) items")
            }
            return batch.predictions
        } catch let error as AgentError {
            throw error
        } catch {
            throw .aggregator("\(error)")
        }
    }
}
