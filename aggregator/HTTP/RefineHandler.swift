import Hummingbird
import StarlingProtocol

/// `POST /v1/refine`: a ``PredictRequest``, or a ``PredictBatchRequest`` when the body has `items`.
enum RefineHandler {
    private struct Probe: Decodable {
        var items: [PredictRequest]?
    }

    static func answer(_ request: Request, refinement: Refinement) async throws -> Response {
        let bytes = try await RequestBody.bytes(of: request, limit: BodyLimit.json)
        if let items = try RequestBody.decode(Probe.self, from: bytes).items {
            return try JSONResponse.make(PredictionBatch(predictions: try await refinement.predict(items)))
        }
        let single = try RequestBody.decode(PredictRequest.self, from: bytes)
        guard let prediction = try await refinement.predict([single]).first else {
            throw APIError.internal("the refinement model gave no answer")
        }
        return try JSONResponse.make(prediction)
    }
}
