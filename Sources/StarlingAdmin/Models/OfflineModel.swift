import Quantization
import StarlingCore
import StarlingProtocol

/// A registry version loaded on the operator's machine for offline checks: its fp32 bundle, or its
/// int8 bundle running the same int8 kernels a device's phase one runs.
public struct OfflineModel: Sendable {
    /// Architecture, labels and preprocessing of the version.
    public let manifest: ModelManifest
    private let runtime: Runtime

    private enum Runtime: Sendable {
        case fp32(ModelBundle)
        case int8(Int8Bundle)
    }

    /// Decodes an artifact the weights endpoint served in `format`.
    public init(artifact: [UInt8], format: ArtifactFormat) throws(AdminError) {
        do {
            switch format {
            case .fp32:
                let bundle = try ModelBundle(decoding: artifact)
                manifest = bundle.manifest
                runtime = .fp32(bundle)
            case .int8:
                let bundle = try Int8Bundle(decoding: artifact)
                manifest = bundle.manifest
                runtime = .int8(bundle)
            }
        } catch {
            throw .failed("The aggregator sent a \(format.rawValue) artifact that does not decode: \(error)")
        }
    }

    /// Fetches `model` at `version` (the newest when nil) in `format` from the aggregator.
    public static func fetch(
        model: String, version: Int?, format: ArtifactFormat, client: AdminClient
    ) async throws(AdminError) -> OfflineModel {
        let resolved: Int
        if let version {
            resolved = version
        } else {
            guard let newest = try await client.versions(model: model).last?.version else {
                throw .failed("Model '\(model)' has no versions.")
            }
            resolved = newest
        }
        return try OfflineModel(
            artifact: try await client.weights(model: model, version: resolved, format: format), format: format)
    }

    /// One answer per row, in order; the rows must have as many feature columns as the model has inputs.
    public func predict(_ rows: FeatureRows) throws(AdminError) -> [RowPrediction] {
        let width = manifest.architecture.inputSize
        guard rows.columns.count == width else {
            throw .configuration(
                "The CSV has \(rows.columns.count) feature columns, but \(manifest.name)@\(manifest.version) expects \(width)."
            )
        }
        guard rows.count > 0 else { return [] }
        let probabilities: [Float]
        switch runtime {
        case .fp32(let bundle): probabilities = bundle.predict(features: rows.values, rows: rows.count)
        case .int8(let bundle): probabilities = bundle.predict(features: rows.values, rows: rows.count)
        }
        let classes = manifest.labels.count
        return (0..<rows.count).map { row in
            let scores = probabilities[(row * classes)..<((row + 1) * classes)].map(Double.init)
            let best = scores.indices.max { scores[$0] < scores[$1] } ?? 0
            return RowPrediction(label: manifest.labels[best], probabilities: scores)
        }
    }
}
