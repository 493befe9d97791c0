import Foundation
import StarlingProtocol
import StarlingStorage

/// A stored monitor rule, one per model and name.
struct MonitorRuleRecord: Codable, Sendable, StoredRecord {
    static let tableName = "monitorRules"
    static let primaryKey = ["model", "name"]
    var model: String
    var name: String
    var rule: SetMonitorRuleRequest
    var updatedAt: Date
}

/// A rule that fired, as stored.
struct MonitorAlertRecord: Codable, Sendable, StoredRecord {
    static let tableName = "monitorAlerts"
    static let primaryKey = ["id"]
    static let generatedKey: String? = "id"
    var id: Int64?
    var model: String
    var version: Int
    var rule: String
    var condition: MonitorCondition
    var threshold: Double
    var value: Double
    var action: MonitorAction
    var outcome: String
    var firedAt: Date
    var resolvedAt: Date?
    var retrain: AlertRetrain?

    var alert: MonitorAlert {
        MonitorAlert(
            id: id ?? 0, model: model, version: version, rule: rule, condition: condition, threshold: threshold,
            value: value, action: action, outcome: outcome, firedAt: firedAt, resolvedAt: resolvedAt,
            retrain: retrain)
    }
}

/// Monitor rules and the alerts they fired.
struct MonitorRuleStore: Sendable {
    let engine: any StorageEngine
    let clock: @Sendable () -> Date

    /// Checks and keeps a rule (replacing the model's rule of that name): a name of 1…64 letters,
    /// digits, `-` and `_`; a threshold that fits its condition; a span of 1 minute to 30 days; a
    /// `min_samples` of 1…10,000,000.
    func set(_ request: SetMonitorRuleRequest) async throws(APIError) -> MonitorRule {
        let now = clock()
        try ModelName.validateReference(request.model)
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
        guard (1...64).contains(request.name.count), request.name.allSatisfy(allowed.contains) else {
            throw Self.invalid("name must be 1…64 letters, digits, - or _")
        }
        let threshold = request.threshold
        switch request.condition {
        case .maxDrift:
            guard threshold.isFinite, threshold > 0, threshold <= 100 else {
                throw Self.invalid("max_drift is a PSI in (0, 100]")
            }
        case .minAccuracy, .maxPhaseTwoRate:
            guard threshold.isFinite, (0...1).contains(threshold) else {
                throw Self.invalid("\(request.condition.rawValue) is a share in [0, 1]")
            }
        }
        guard MonitorReport.spanSeconds.contains(request.forSeconds) else {
            throw Self.invalid("for_seconds must be 60 to 2592000")
        }
        if let minSamples = request.minSamples, !SetMonitorRuleRequest.minSamplesRange.contains(minSamples) {
            throw Self.invalid("min_samples must be 1 to 10000000")
        }
        if let retrain = request.retrain {
            guard request.action == .retrain else { throw Self.invalid("retrain settings need action retrain") }
            try Self.validate(retrain)
        }
        let record = MonitorRuleRecord(model: request.model, name: request.name, rule: request, updatedAt: now)
        try await engine.writing { db in
            guard try db.exists(ModelRecord.self, key: request.model) else {
                throw APIError.modelNotFound(request.model)
            }
            try db.save(record)
        }
        return MonitorRule(rule: request, updatedAt: now)
    }

    func rules() async throws(APIError) -> [MonitorRule] {
        try await engine.reading { db in
            try db.fetchAll(MonitorRuleRecord.self, "SELECT * FROM monitorRules ORDER BY model, name")
                .map { MonitorRule(rule: $0.rule, updatedAt: $0.updatedAt) }
        }
    }

    /// The rule `name` of `model`, if there is one.
    func rule(model: String, name: String) async throws(APIError) -> SetMonitorRuleRequest? {
        try await engine.reading { db in try db.fetchOne(MonitorRuleRecord.self, key: model, name)?.rule }
    }

    /// The newest alerts first, at most `limit`.
    func alerts(limit: Int = 500) async throws(APIError) -> [MonitorAlert] {
        try await engine.reading { db in
            try db.fetchAll(MonitorAlertRecord.self, "SELECT * FROM monitorAlerts ORDER BY id DESC LIMIT ?", limit)
                .map(\.alert)
        }
    }

    /// The alert of `rule` for `model`@`version` that still holds, if any.
    func openAlert(model: String, version: Int, rule: String) async throws(APIError) -> MonitorAlertRecord? {
        try await engine.reading { db in
            try db.fetchOne(
                MonitorAlertRecord.self,
                """
                SELECT * FROM monitorAlerts
                WHERE model = ? AND version = ? AND rule = ? AND resolvedAt IS NULL ORDER BY id LIMIT 1
                """, model, version, rule)
        }
    }

    /// The alerts whose retraining run is still under way, oldest first.
    func retraining() async throws(APIError) -> [MonitorAlertRecord] {
        try await engine.reading { db in
            try db.fetchAll(
                MonitorAlertRecord.self, "SELECT * FROM monitorAlerts WHERE retrain IS NOT NULL ORDER BY id"
            )
            .filter { $0.retrain?.state == .training }
        }
    }

    func insert(_ alert: MonitorAlertRecord) async throws(APIError) -> MonitorAlertRecord {
        try await engine.writing { db in
            var alert = alert
            alert.id = try db.insertReturningKey(alert)
            return alert
        }
    }

    func update(_ alert: MonitorAlertRecord) async throws(APIError) {
        try await engine.writing { db in try db.update(alert) }
    }

    /// Retraining runs of 1…100 rounds, and a canary policy ``Rollouts`` takes.
    private static func validate(_ retrain: RetrainSettings) throws(APIError) {
        if let rounds = retrain.rounds, !(1...100).contains(rounds) {
            throw invalid("retrain rounds must be 1…100")
        }
        do {
            _ = try RolloutPolicy(retrain.canary(model: "", version: 1, selector: .all))
        } catch {
            throw invalid("its canary: \(error.message)")
        }
    }

    private static func invalid(_ reason: String) -> APIError {
        .badRequest(.invalidMonitorRule, "The monitor rule is refused: \(reason).")
    }
}
