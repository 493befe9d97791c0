import Foundation
import StarlingProtocol
import StarlingStorage

/// A federated run: its validated plan and overall state.
typealias RunRecord = RunRow<RunMachine>

/// One round of a run: its cohort once chosen, and the version it produced.
typealias RoundRecord = RoundRow<[String]>

/// A row of `runs`, with its machine whole (``RunRecord``, for the coordinator) or in part (for the
/// admin view, which shows the stage alone; ``RunSummaryRecord``).
struct RunRow<Machine: Sendable>: Sendable {
    var id: String
    var kind: RunKind
    /// The model trained or evaluated; empty for a statistics run over a bare feature width.
    var model: String
    var state: RoundState
    var plan: RunPlan
    var failureReason: String?
    var createdAt: Date
    /// The run's lifecycle as last written; nil for runs recorded before machines were kept.
    var machine: Machine?
}

extension RunRow: Decodable where Machine: Decodable {}
extension RunRow: Encodable where Machine: Encodable {}

extension RunRow: StoredRecord where Machine == RunMachine {
    static var tableName: String { "runs" }
    static var primaryKey: [String] { ["id"] }
}

/// A row of `rounds`, with its cohort's devices (``RoundRecord``) or only their count (for the
/// admin view; ``RoundSummaryRecord``).
struct RoundRow<Cohort: Sendable>: Sendable {
    var runId: String
    var round: Int
    var state: RoundState
    var baseVersion: Int
    var cohort: Cohort
    var deadline: Date?
    var producedVersion: Int?
    var metrics: VersionMetrics?
    var failureReason: String?
    var startedAt: Date
    var endedAt: Date?
    /// Devices whose updates a secure aggregation summed (plain rounds count their update rows).
    var contributors: Int?
    /// How many times the round was started (see ``RunMachine/attempt``).
    var attempt: Int
}

extension RoundRow: Decodable where Cohort: Decodable {}

extension RoundRow: Encodable where Cohort == [String] {
    /// Each property a column, and the cohort's size in a column of its own (`cohortSize`), so that
    /// a run's summary counts a round's devices without reading their ids (``RoundSummaryRecord``).
    func encode(to encoder: any Encoder) throws {
        var columns = encoder.container(keyedBy: CodingKeys.self)
        try columns.encode(runId, forKey: .runId)
        try columns.encode(round, forKey: .round)
        try columns.encode(state, forKey: .state)
        try columns.encode(baseVersion, forKey: .baseVersion)
        try columns.encode(cohort, forKey: .cohort)
        try columns.encodeIfPresent(deadline, forKey: .deadline)
        try columns.encodeIfPresent(producedVersion, forKey: .producedVersion)
        try columns.encodeIfPresent(metrics, forKey: .metrics)
        try columns.encodeIfPresent(failureReason, forKey: .failureReason)
        try columns.encode(startedAt, forKey: .startedAt)
        try columns.encodeIfPresent(endedAt, forKey: .endedAt)
        try columns.encodeIfPresent(contributors, forKey: .contributors)
        try columns.encode(attempt, forKey: .attempt)
        var size = encoder.container(keyedBy: CohortSizeColumn.self)
        try size.encode(cohort.count, forKey: .cohortSize)
    }
}

/// The column beside a round's cohort that counts it.
private enum CohortSizeColumn: String, CodingKey {
    case cohortSize
}

extension RoundRow: StoredRecord where Cohort == [String] {
    static var tableName: String { "rounds" }
    static var primaryKey: [String] { ["runId", "round"] }
}

/// An accepted update: its metadata here, its tensors in the file at `path` until aggregation.
struct RoundUpdateRecord: Codable, Sendable, StoredRecord {
    static let tableName = "roundUpdates"
    static let primaryKey = ["runId", "round", "deviceId"]
    var runId: String
    var round: Int
    var deviceId: String
    var trainSamples: Int
    var trainLoss: Double?
    var evalSamples: Int?
    var evalAccuracy: Double?
    var path: String
    var receivedAt: Date
    /// In a buffered run, how many versions behind its base the update was; nil in other runs.
    var staleness: Int?
}

/// A device's report that it could not contribute to an round.
struct RoundFailureRecord: Codable, Sendable, StoredRecord {
    static let tableName = "roundFailures"
    static let primaryKey = ["runId", "round", "deviceId"]
    var runId: String
    var round: Int
    var deviceId: String
    var reason: ClientFailureReason
    var detail: String
    var reportedAt: Date

    var failure: ClientFailure {
        ClientFailure(device: deviceId, reason: reason, detail: detail, reportedAt: reportedAt)
    }
}

/// A training run's server-optimizer state (moments and step count), written after every step so it
/// lives with the run rather than in the process.
struct RunOptimizerStateRecord: Codable, Sendable, StoredRecord {
    static let tableName = "runOptimizerStates"
    static let primaryKey = ["runId"]
    var runId: String
    var step: Int
    var state: Data
    var updatedAt: Date
}
