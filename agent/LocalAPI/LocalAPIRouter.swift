import NIOHTTP1
import StarlingMetrics
import StarlingProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The handlers of the agent's local API (``LocalAPIRoute``): prediction, sample intake, feedback,
/// monitors, status, metrics and health.
struct LocalAPIRouter: HTTPResponder {
    let deviceId: String
    let predictor: TwoPhasePredictor
    let store: AgentStore
    let counters: CounterLedger
    let slot: ModelSlot
    let connection: ConnectionState
    let privacy: PrivacyLedger
    let metrics: AgentMetrics
    let monitoring: Monitoring

    func respond(method: HTTPMethod, uri: String, body: [UInt8]) async -> LocalAPIResponse {
        let path = uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? uri
        do {
            switch try LocalAPIRoute.matching(method: method, path: path) {
            case .predict:
                let request = try decode(PredictRequest.self, from: body)
                return .json(try await predictor.predict([request])[0])
            case .predictBatch:
                let request = try decode(PredictBatchRequest.self, from: body)
                return .json(PredictionBatch(predictions: try await predictor.predict(request.items)))
            case .addSamples:
                return .json(try await addSamples(try decode(SampleBatch.self, from: body)))
            case .feedback:
                return .json(try await monitoring.attach([try decode(FeedbackRequest.self, from: body)]))
            case .feedbackBatch:
                return .json(try await monitoring.attach(try decode(FeedbackBatchRequest.self, from: body).items))
            case .monitor:
                return .json(try await monitoring.report(query: uri))
            case .status:
                return .json(try await status())
            case .metrics:
                let text = metrics.scrape(modelVersion: slot.model?.version, privacy: try await privacy.status())
                return LocalAPIResponse(status: .ok, body: Array(text.utf8), contentType: MetricsRegistry.contentType)
            case .health:
                return .json(["status": "ok"])
            }
        } catch let problem as APIProblem {
            return .problem(problem)
        } catch {
            return .problem(.internalError("\(error)"))
        }
    }

    /// Stores a batch once ``SampleAdmission`` accepts all of it; nothing of a refused batch is kept.
    private func addSamples(_ batch: SampleBatch) async throws -> SampleReceipt {
        let manifest = slot.model?.manifest
        let width: Int?
        if let manifest {
            width = manifest.architecture.inputSize
        } else {
            width = try await store.lastFeatureCount()
        }
        let admission = SampleAdmission(
            width: width, labels: manifest.flatMap { $0.labels.isEmpty ? nil : Set($0.labels) })
        let samples: [LabelledSample]
        do {
            samples = try admission.admit(batch.samples)
        } catch .features(let message) {
            throw APIProblem.invalidFeatures(message)
        } catch .samples(let message) {
            throw APIProblem(status: .badRequest, code: .invalidSamples, message: message)
        }
        let total = try await store.insert(samples)
        return SampleReceipt(accepted: samples.count, total: total)
    }

    private func status() async throws -> AgentStatus {
        let counters = counters.current()
        return AgentStatus(
            deviceId: deviceId, runningModel: slot.model?.tag, sampleCount: try await store.sampleCount(),
            roundsJoined: counters[.roundsJoined] ?? 0, predictions: counters[.predictions] ?? 0,
            phaseTwoRequests: counters[.phaseTwoRequests] ?? 0, degradedAnswers: counters[.degradedAnswers] ?? 0,
            connected: connection.isConnected, privacy: try await privacy.status())
    }

    private func decode<Value: Decodable>(_ type: Value.Type, from body: [UInt8]) throws(APIProblem) -> Value {
        do {
            return try StarlingJSON.decoder().decode(type, from: Data(body))
        } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
            throw .invalidJSON("it does not parse")
        } catch DecodingError.keyNotFound(let key, _) {
            throw .invalidJSON("the field '\(key.stringValue)' is missing")
        } catch {
            throw .invalidJSON("a field has the wrong type")
        }
    }
}
