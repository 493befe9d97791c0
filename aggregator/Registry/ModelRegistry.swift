import Foundation
import StarlingCore
import StarlingProtocol
import StarlingStorage
import StarlingTransport

/// The registry's write side: new models and new immutable versions.
///
/// Each version is registered inside one write transaction, and the storage engine runs write
/// transactions one at a time, so version numbers are handed out one at a time; within it both
/// artifacts are written atomically, the fp32 bundle to `DIR/models/<name>/<version>.safetensors`
/// and its int8 quantization (``Int8Artifact``) to `DIR/models/<name>/<version>.int8.safetensors`,
/// before the row commits, so a committed row always points at two complete files; both are kept
/// in the database by digest in the same transaction, for every replica (``ArtifactStore``).
/// Every version is signed (``VersionSigner``) over its name, number, both artifact digests and
/// its manifest digest. Models larger than `sizeLimit` are refused (400 `model_too_large`) before anything is
/// allocated for them.
struct ModelRegistry: Sendable {
    let engine: any StorageEngine
    let directory: DataDirectory
    let signer: VersionSigner
    let profiles: ProfileStore
    let sizeLimit: ModelSizeLimit
    let clock: @Sendable () -> Date

    /// Creates a model and its version 1 from a seeded initialisation; 409 `model_exists` if taken.
    /// With a feature profile, the model's preprocessing is chosen from it; a profile of another
    /// width than the model's input is 400 `profile_width_mismatch`.
    func create(_ request: CreateModelRequest) async throws(APIError) -> ModelVersionInfo {
        try ModelName.validate(request.name)
        guard request.profile == nil || (request.featureMean == nil && request.featureStd == nil) else {
            throw .badRequest(.invalidModel, "give a profile or feature means and deviations, not both")
        }
        guard request.profile != nil || (request.preprocess == nil && request.profileVersion == nil) else {
            throw .badRequest(.invalidModel, "preprocess and profile_version need a profile")
        }
        var profile: FeatureProfile?
        if let name = request.profile {
            profile = try await profiles.profile(name, version: request.profileVersion)
        }
        let bundle: ModelBundle
        do {
            bundle = try ModelBundle(request, profile: profile, sizeLimit: sizeLimit)
        } catch .profileWidthMismatch(let profileWidth, let inputs) {
            throw .badRequest(
                .profileWidthMismatch,
                "profile '\(request.profile ?? "")' describes \(profileWidth) features, the model takes \(inputs) inputs"
            )
        } catch {
            throw Self.refusal(error)
        }
        return try await register(
            bundle, as: request.name, source: .initialized, lineage: VersionLineage(), metrics: VersionMetrics(),
            requireNewModel: true)
    }

    /// Imports a bundle as a new model, or as the next version of the model of that name.
    func importBundle(_ bytes: [UInt8], name: String?) async throws(APIError) -> ModelVersionInfo {
        let bundle: ModelBundle
        do {
            bundle = try ModelBundle(decoding: bytes, sizeLimit: sizeLimit)
        } catch {
            throw Self.refusal(error)
        }
        let target = name ?? bundle.manifest.name
        try ModelName.validate(target)
        return try await register(
            bundle, as: target, source: .imported, lineage: VersionLineage(), metrics: VersionMetrics())
    }

    /// 400 `model_too_large` for a model beyond the size limit, else 400 `invalid_model`.
    private static func refusal(_ error: ModelError) -> APIError {
        switch error {
        case .tooManyParameters, .tooManyLayers, .tooManyActivations: .badRequest(.modelTooLarge, error.description)
        default: .badRequest(.invalidModel, error.description)
        }
    }

    /// Registers `bundle` as the next version of `name`, creating the model on its first version.
    /// An existing model must have the bundle's architecture (400 `architecture_mismatch`).
    /// `alongside` writes in the same transaction, knowing the version (a round's end, so that a
    /// round's version and its run's progress commit together).
    func register(
        _ bundle: ModelBundle, as name: String, source: VersionSource, lineage: VersionLineage, metrics: VersionMetrics,
        requireNewModel: Bool = false,
        alongside: (@Sendable (any SQLConnection, ModelVersionInfo) throws -> Void)? = nil
    ) async throws(APIError) -> ModelVersionInfo {
        let directory = directory
        let signer = signer
        let now = clock()
        let int8 = try Int8Artifact(quantizing: bundle)
        return try await engine.writing { db in
            let architecture = bundle.manifest.architecture.description
            if let existing = try db.fetchOne(ModelRecord.self, key: name) {
                if requireNewModel { throw APIError.conflict(.modelExists, "a model named '\(name)' already exists") }
                guard existing.architecture == architecture else {
                    throw APIError.badRequest(
                        .architectureMismatch,
                        "model '\(name)' is \(existing.architecture), the bundle is \(architecture)")
                }
            } else {
                try db.insert(
                    ModelRecord(
                        name: name, architecture: architecture, labels: bundle.manifest.labels,
                        confidenceThreshold: bundle.manifest.confidenceThreshold, createdAt: now))
            }
            let latest = try db.integer("SELECT MAX(version) FROM modelVersions WHERE model = ?", name)
            let version = Int(latest) + 1
            var manifest = bundle.manifest
            manifest.name = name
            manifest.version = version
            let bytes = try ModelBundle(manifest: manifest, model: bundle.model).encoded()
            let url = directory.artifact(model: name, version: version)
            try AtomicFile.write(bytes, to: url)
            let int8Bytes = int8.encoded(as: manifest)
            let int8URL = directory.artifact(model: name, version: version, format: .int8)
            try AtomicFile.write(int8Bytes, to: int8URL)
            try ArtifactStore.keep(bytes, in: db, now: now)
            try ArtifactStore.keep(int8Bytes, in: db, now: now)
            var record = ModelVersionRecord(
                model: name, version: version, sha256: Secrets.sha256(bytes), sizeBytes: bytes.count, path: url.path,
                sha256Int8: Secrets.sha256(int8Bytes), sizeBytesInt8: int8Bytes.count, pathInt8: int8URL.path,
                manifestSha256: manifest.sha256, signature: "",
                source: source, lineage: lineage, metrics: metrics, createdAt: now)
            record.signature = try signer.sign(record.statement)
            try db.insert(record)
            try alongside?(db, record.info)
            return record.info
        }
    }
}

extension ModelBundle {
    /// Version 1 of a new model, as an admin's create request describes it, with its preprocessing
    /// chosen from `profile` when the request names one; its architecture is checked against
    /// `sizeLimit` before the weights are allocated.
    init(_ request: CreateModelRequest, profile: FeatureProfile? = nil, sizeLimit: ModelSizeLimit) throws(ModelError) {
        let architecture = try ModelArchitecture(parsing: request.architecture)
        try sizeLimit.check(architecture)
        let labels = request.labels ?? (0..<architecture.outputSize).map(String.init)
        let preprocessing: Preprocessing
        if let profile {
            guard profile.width == architecture.inputSize else {
                throw .profileWidthMismatch(profile: profile.width, inputs: architecture.inputSize)
            }
            preprocessing = Preprocessing.fitted(request.preprocess ?? .auto, from: profile)
        } else if request.featureMean != nil || request.featureStd != nil {
            preprocessing = Preprocessing(
                standardization: try Standardization(
                    mean: (request.featureMean ?? []).map(Float.init), std: (request.featureStd ?? []).map(Float.init)))
        } else {
            preprocessing = .identity(featureCount: architecture.inputSize)
        }
        let manifest = try ModelManifest(
            name: request.name, version: 1, architecture: architecture, labels: labels,
            preprocessing: preprocessing, profile: profile.map { ProfileReference(name: $0.name, version: $0.version) },
            drift: profile.map(DriftReference.init(profile:)), confidenceThreshold: request.confidenceThreshold ?? 0.8)
        try self.init(manifest: manifest, model: Model(architecture: architecture, seed: request.seed ?? 0))
    }
}
