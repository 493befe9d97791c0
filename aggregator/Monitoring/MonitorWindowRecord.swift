import Foundation
import StarlingProtocol
import StarlingStorage

/// One device's monitor window of one version (and experiment arm), as stored; a device sending a
/// window again replaces it.
struct MonitorWindowRecord: Codable, Sendable, StoredRecord {
    static let tableName = "monitorWindows"
    static let primaryKey = ["deviceId", "model", "version", "arm", "start"]
    var deviceId: String
    var model: String
    var version: Int
    /// "" for a plain window, else the experiment id, followed by " shadow" for a shadow's.
    var arm: String
    var start: Double
    var window: MonitorWindow
    var receivedAt: Date
    /// How many devices the window sums: 1 for a device's own, the cohort for a secure sum.
    var devices: Int = 1
}
