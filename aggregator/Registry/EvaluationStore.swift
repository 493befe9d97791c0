import Foundation
import StarlingProtocol
import StarlingStorage

/// A version's federated evaluation as stored: one row per evaluation run.
struct EvaluationRecord: Codable, Sendable, StoredRecord {
    static let tableName = "versionEvaluations"
    static let primaryKey = ["id"]
    static let generatedKey: String? = "id"
    var id: Int64?
    var model: String
    var version: Int
    var runId: String
    var devices: Int
    var figures: EvaluationFigures
    var secureAggregation: Bool
    var createdAt: Date

    init(_ evaluation: FederatedEvaluation) {
        id = nil
        model = evaluation.model
        version = evaluation.version
        runId = evaluation.runId
        devices = evaluation.devices
        figures = evaluation.figures
        secureAggregation = evaluation.secureAggregation
        createdAt = evaluation.createdAt
    }

    var evaluation: FederatedEvaluation {
        FederatedEvaluation(
            model: model, version: version, runId: runId, devices: devices, figures: figures,
            secureAggregation: secureAggregation, createdAt: createdAt)
    }
}

/// Federated evaluations kept with the versions they measured.
struct EvaluationStore: Sendable {
    let engine: any StorageEngine

    /// Keeps an evaluation; `alongside` writes in the same transaction (its run's end).
    func insert(_ evaluation: FederatedEvaluation, alongside: (@Sendable (any SQLConnection) throws -> Void)? = nil)
        async throws(APIError)
    {
        let record = EvaluationRecord(evaluation)
        try await engine.writing { db in
            try db.insert(record)
            try alongside?(db)
        }
    }

    /// The newest evaluation of each version of `model`, by version.
    func latest(model: String) async throws(APIError) -> [Int: FederatedEvaluation] {
        try await engine.reading { db in
            let rows = try db.fetchAll(
                EvaluationRecord.self, "SELECT * FROM versionEvaluations WHERE model = ? ORDER BY id", model)
            return Dictionary(rows.map { ($0.version, $0.evaluation) }, uniquingKeysWith: { _, newer in newer })
        }
    }
}
