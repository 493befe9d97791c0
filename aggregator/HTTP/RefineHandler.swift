import Hummingbird
import StarlingProtocol

/// `POST /v1/refine`: a ``PredictRequest``, or a ``PredictBatchRequest`` when the body has `items`;
/// the time phase two takes to answer is recorded.
enum RefineHandler {
    private struct Probe: Decodable {
        var items: [PredictRequest]?
    }

    static func answer(
        _ request: Request, refinement: Refinement, metrics: AggregatorMetrics
    ) async throws -> Response {
        let bytes = try await RequestBody.bytes(of: request, limit: BodyLimit.json)
        if let items = try RequestBody.decode(Probe.self, from: bytes).items {
            return try JSONResponse.make(PredictionBatch(predictions: try await predict(items, refinement, metrics)))
        }
        let single = try RequestBody.decode(PredictRequest.self, from: bytes)
        guard let prediction = try await predict([single], refinement, metrics).first else {
            throw APIError.internal("the refinement model gave no answer")
        }
        return try JSONResponse.make(prediction)
    }

    private static func predict(
        _ items: [PredictRequest], _ refinement: Refinement, _ metrics: AggregatorMetrics
    ) async throws(APIError) -> [Prediction] {
        let start = ContinuousClock.now
        let predictions = try await refinement.predict(items)
        metrics.refined(predictions: predictions.count, duration: start.duration(to: .now))
        return predictions
    }
}
