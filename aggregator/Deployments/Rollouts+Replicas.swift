import Foundation
import NIOPosix
import StarlingProtocol
import StarlingStorage

/// Rollouts among replicas sharing a database: a replica that does not lead answers devices'
/// watches from the rollouts as the leader last wrote them, and stores the deployment reports its
/// devices send; the leader feeds its live rollouts the reports the others stored.
extension Rollouts {
    /// Catches up with the other replicas: the leader feeds the reports they stored, another
    /// replica reads the rollouts again.
    func synchronize() async {
        guard leadership.isLeader else { return await follow() }
        guard drives else { return }
        await feedReportsStoredElsewhere()
    }

    /// Reads every rollout as the database has it, waking the watches held here when one changed.
    private func follow() async {
        let (engine, catalog, now) = (engine, catalog, clock())
        do {
            let loaded = try await NIOThreadPool.singleton.runIfActive {
                try Self.load(engine: engine, catalog: catalog, now: now).rollouts
            }
            guard !leadership.isLeader else { return }
            drives = false
            let changed =
                loaded.map(\.machine) != rollouts.map(\.machine)
                || loaded.map { [$0.record.id, $0.record.state.rawValue] }
                    != rollouts.map { [$0.record.id, $0.record.state.rawValue] }
            rollouts = loaded
            if changed { await broadcaster.peerChanged() }
        } catch {
            logger.warning("cannot read the rollouts the leader drives", metadata: ["error": "\(error)"])
        }
    }

    /// Feeds the live rollouts every report stored since the one fed for its device.
    private func feedReportsStoredElsewhere() async {
        let live = rollouts.filter(\.isLive).map(\.record.id)
        guard !live.isEmpty else { return }
        let reports: [DeploymentReportRecord]
        do {
            reports = try await engine.reading { db in
                try db.rows(
                    SQLStatement(
                        "SELECT * FROM deploymentReports WHERE deploymentId IN (\(SQLStatement.placeholders(live.count))) ORDER BY reportedAt, deviceId",
                        binding: live)
                ).map { try $0.decode(DeploymentReportRecord.self) }
            }
        } catch {
            logger.warning("cannot read the deployment reports of other replicas", metadata: ["error": "\(error)"])
            return
        }
        for report in reports where fed[report.deploymentId]?[report.deviceId] != report.reportedAt.milliseconds {
            fed[report.deploymentId, default: [:]][report.deviceId] = report.reportedAt.milliseconds
            guard report.state != .rolledBack,
                let index = rollouts.firstIndex(where: { $0.record.id == report.deploymentId })
            else { continue }
            let record = rollouts[index].record
            let wire = DeploymentReport(
                state: report.state, model: record.model, version: record.version, message: report.message,
                health: report.health)
            try? await feed(
                .report(device: report.deviceId, DeviceHealthReport(wire)), to: index, refusalIsError: false,
                at: report.reportedAt)
        }
    }
}

extension Date {
    /// Whole milliseconds since 1970: a time as the database gives it back.
    var milliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }
}
