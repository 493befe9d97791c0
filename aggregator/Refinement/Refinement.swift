import Foundation
import StarlingCore
import StarlingProtocol
import StarlingStorage

/// Phase two of two-phase prediction: the registry model named by ``RefinementSettings`` answers
/// the predictions devices were not confident about. Decoded bundles are cached per version.
actor Refinement {
    private static let settingsKey = "refinement"
    let engine: any StorageEngine
    let catalog: ModelCatalog
    private var cache: (key: String, bundle: ModelBundle)?

    init(engine: any StorageEngine, catalog: ModelCatalog) {
        self.engine = engine
        self.catalog = catalog
    }

    /// Names the refinement model; it (and a pinned version) must exist.
    func configure(_ settings: RefinementSettings) async throws(APIError) -> RefinementSettings {
        _ = try await catalog.version(of: settings.model, settings.version)
        let value: String
        do {
            value = try StarlingJSON.line(settings)
        } catch {
            throw .internal("cannot encode the refinement settings")
        }
        try await engine.writing { db in try db.save(SettingRecord(key: Self.settingsKey, value: value)) }
        return settings
    }

    /// The configured settings, if any.
    func settings() async throws(APIError) -> RefinementSettings? {
        guard
            let text = try await engine.reading({ db in
                try db.fetchOne(SettingRecord.self, key: Self.settingsKey)?.value
            })
        else { return nil }
        return try? StarlingJSON.decoder().decode(RefinementSettings.self, from: Data(text.utf8))
    }

    /// Answers a batch; 503 `refinement_unavailable` without a configured model, 400 `invalid_features`
    /// when a request's feature count differs from the model's input or a feature is not finite as a
    /// `Float`.
    func predict(_ requests: [PredictRequest]) async throws(APIError) -> [Prediction] {
        guard let settings = try await settings() else {
            throw APIError(.serviceUnavailable, .refinementUnavailable, "no refinement model is configured")
        }
        let record = try await catalog.version(of: settings.model, settings.version)
        let bundle = try loadBundle(record)
        let width = bundle.manifest.architecture.inputSize
        guard requests.allSatisfy({ $0.features.count == width && $0.features.allSatisfy(\.isFiniteAsFloat) }) else {
            throw .badRequest(
                .invalidFeatures, "every request needs \(width) features, each a finite number within ±3.4e38")
        }
        let outputs = bundle.manifest.architecture.outputSize
        let probabilities = bundle.predict(
            features: requests.flatMap { $0.features.map(Float.init) }, rows: requests.count)
        return requests.enumerated().map { row, request in
            let scores = probabilities[(row * outputs)..<((row + 1) * outputs)].map(Double.init)
            let best = scores.indices.max { scores[$0] < scores[$1] } ?? 0
            return Prediction(
                key: request.key, label: bundle.manifest.labels[best], probabilities: scores, phase: 2,
                modelVersion: "\(record.model)@\(record.version)", degraded: false)
        }
    }

    private func loadBundle(_ record: ModelVersionRecord) throws(APIError) -> ModelBundle {
        let key = "\(record.model)@\(record.version)"
        if let cache, cache.key == key { return cache.bundle }
        let bundle = try catalog.bundle(record)
        cache = (key, bundle)
        return bundle
    }
}
