import Foundation
import StarlingProtocol
import StarlingStorage

/// An experiment as stored: which candidates it tries, on which devices, how, and how it ended.
struct ExperimentRecord: Codable, Sendable, StoredRecord {
    static let tableName = "experiments"
    static let primaryKey = ["id"]
    var id: String
    var model: String
    var mode: ExperimentMode
    var selector: DeviceSelector
    /// The candidate versions; the first is the one the request named.
    var candidates: [Int]
    var split: Double?
    var minFeedback: Int
    /// `running`, then `completed` (promoted) or `aborted`.
    var state: DeploymentState
    var reason: String?
    var promotedTo: String?
    var createdAt: Date
    var endedAt: Date?
}
