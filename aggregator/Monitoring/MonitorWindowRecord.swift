import Foundation
import GRDB
import StarlingProtocol

/// One device's monitor window of one version, as stored; a device sending a window again
/// replaces it.
struct MonitorWindowRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "monitorWindows"
    var deviceId: String
    var model: String
    var version: Int
    var start: Double
    var window: MonitorWindow
    var receivedAt: Date
}
