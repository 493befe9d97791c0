import Foundation
import StarlingCore
import StarlingProtocol
import StarlingStorage

/// The devices' monitor windows, kept 30 days, and the fleet's view of them: per version, the
/// windows of every device added up, over the span and window by window.
struct MonitorStore: Sendable {
    let engine: any StorageEngine

    /// Keeps a device's windows (replacing any it sent before for the same version and start) and
    /// forgets windows older than ``MonitorUploadValidator/maximumAge``.
    func insert(_ windows: [(model: String, version: Int, window: MonitorWindow)], device: String, now: Date)
        async throws(APIError)
    {
        let records = windows.map { model, version, window in
            MonitorWindowRecord(
                deviceId: device, model: model, version: version, arm: Self.arm(of: window), start: window.start,
                window: window, receivedAt: now)
        }
        try await engine.writing { db in
            for record in records { try db.save(record) }
            try db.execute(
                "DELETE FROM monitorWindows WHERE start < ?",
                now.timeIntervalSince1970 - MonitorUploadValidator.maximumAge)
        }
    }

    /// The stored form of a window's experiment arm.
    static func arm(of window: MonitorWindow) -> String {
        window.arm.map { "\($0.experiment)\($0.shadow ? " shadow" : "")" } ?? ""
    }

    /// The windows devices recorded as arms of `experiment`.
    func windows(ofExperiment experiment: String) async throws(APIError) -> [(device: String, window: MonitorWindow)] {
        try await engine.reading { db in
            try db.fetchAll(
                MonitorWindowRecord.self,
                "SELECT * FROM monitorWindows WHERE arm IN (?, ?) ORDER BY arm, receivedAt, deviceId, model, version, start",
                experiment, experiment + " shadow"
            )
            .map { ($0.deviceId, $0.window) }
        }
    }

    /// The versions of `model` with windows that started at or after `since`.
    func versions(model: String, since: Double) async throws(APIError) -> [Int] {
        try await engine.reading { db in
            try db.rows(
                SQLStatement(
                    "SELECT DISTINCT version FROM monitorWindows WHERE model = ? AND start >= ? ORDER BY version",
                    binding: [model, since])
            )
            .map { Int(try $0.integer("version")) }
        }
    }

    /// The fleet's figures of `model` (one version, or all) over the windows that started in the
    /// last `seconds`; `references` gives each version's drift reference.
    func report(
        model: String, version: Int?, seconds: Double, now: Date, references: [Int: DriftReference]
    ) async throws(APIError) -> FleetMonitorReport {
        // A shadow's answers were never returned: they are compared in their experiment only.
        var sql = "SELECT * FROM monitorWindows WHERE model = ? AND start >= ? AND arm NOT LIKE '% shadow'"
        var arguments: [any SQLValueConvertible] = [model, now.timeIntervalSince1970 - seconds]
        if let version {
            sql += " AND version = ?"
            arguments.append(version)
        }
        let statement = SQLStatement(sql + " ORDER BY start, version, receivedAt, deviceId, arm", binding: arguments)
        let rows = try await engine.reading { db in
            try db.rows(statement).map { try $0.decode(MonitorWindowRecord.self) }
        }
        let versions = Dictionary(grouping: rows, by: \.version).sorted { $0.key > $1.key }.map { version, rows in
            let points = Dictionary(grouping: rows, by: \.start).sorted { $0.key < $1.key }.compactMap { _, rows in
                Self.sum(rows).map { window in
                    FleetMonitorReport.Point(
                        devices: Self.devices(rows),
                        figures: MonitorReport.Version(summarising: window, reference: references[version]))
                }
            }
            let total = Self.sum(rows).map { MonitorReport.Version(summarising: $0, reference: references[version]) }
            return (version, Self.devices(rows), total, points)
        }
        .compactMap { version, devices, total, points in
            total.map { FleetMonitorReport.Version(version: version, devices: devices, total: $0, points: points) }
        }
        return FleetMonitorReport(model: model, windowSeconds: seconds, versions: versions)
    }

    /// Each device's figures of `model`@`version` over its windows that started in the last
    /// `seconds`, against `reference`.
    func deviceFigures(
        model: String, version: Int, seconds: Double, now: Date, reference: DriftReference?
    ) async throws(APIError) -> [String: MonitorReport.Version] {
        let since = now.timeIntervalSince1970 - seconds
        let rows = try await engine.reading { db in
            try db.fetchAll(
                MonitorWindowRecord.self,
                """
                SELECT * FROM monitorWindows
                WHERE model = ? AND version = ? AND start >= ? AND arm NOT LIKE '% shadow'
                    AND deviceId NOT LIKE 'secure:%'
                ORDER BY start, receivedAt, deviceId, arm
                """, model, version, since)
        }
        return Dictionary(grouping: rows, by: \.deviceId).compactMapValues { rows in
            Self.sum(rows).map { MonitorReport.Version(summarising: $0, reference: reference) }
        }
    }

    /// How many devices `rows` stand for: one per device that sent its own, plus the largest cohort
    /// of a secure sum (sums of several spans are of much the same devices, which they do not name).
    private static func devices(_ rows: [MonitorWindowRecord]) -> Int {
        let secure = rows.filter { $0.deviceId.hasPrefix("secure:") }
        return Set(rows.map(\.deviceId)).count - Set(secure.map(\.deviceId)).count
            + (secure.map(\.devices).max() ?? 0)
    }

    /// The rows' windows added up, experiment arms and all; all are of one version.
    private static func sum(_ rows: [MonitorWindowRecord]) -> MonitorWindow? {
        guard var total = rows.first?.window else { return nil }
        total.arm = nil
        for row in rows.dropFirst() { total.add(row.window) }
        return total
    }
}
