import Foundation
import GRDB
import StarlingProtocol

/// All-at-once deployments: a version for every device a selector picks, the reports devices send
/// back, and the per-state counts. Targeted devices are those matching the selector; devices that
/// enroll later and match count as pending.
struct Deployments: Sendable {
    let pool: DatabasePool
    let catalog: ModelCatalog
    let broadcaster: RevisionBroadcaster
    let clock: @Sendable () -> Date

    func create(_ request: CreateDeploymentRequest) async throws(APIError) -> DeploymentInfo {
        _ = try await catalog.version(of: request.model, request.version)
        let record = DeploymentRecord(
            id: Secrets.identifier(prefix: "dep-"), model: request.model, version: request.version,
            selector: request.selector, createdAt: clock())
        try await pool.writing { db in try record.insert(db) }
        await broadcaster.bump()
        return try await info(id: record.id)
    }

    /// The admin view; 404 `deployment_not_found` if unknown.
    func info(id: String) async throws(APIError) -> DeploymentInfo {
        try await pool.reading { db in
            guard let deployment = try DeploymentRecord.fetchOne(db, key: id) else {
                throw APIError.notFound("deployment_not_found", "there is no deployment '\(id)'")
            }
            let targets = try DeviceRecord.filter(Column("revoked") == false).fetchAll(db)
                .filter { deployment.selector.matches($0.tags) }.map(\.id)
            let reports = try DeploymentReportRecord.filter(Column("deploymentId") == id).fetchAll(db)
            let states = Dictionary(reports.map { ($0.deviceId, $0.state) }, uniquingKeysWith: { _, last in last })
            let installed = targets.filter { states[$0] == .installed }.count
            let failed = targets.filter { states[$0] == .failed }.count
            return DeploymentInfo(
                id: deployment.id, model: deployment.model, version: deployment.version,
                selector: deployment.selector, targeted: targets.count,
                counts: DeploymentCounts(pending: targets.count - installed - failed, installed: installed, failed: failed),
                createdAt: deployment.createdAt)
        }
    }

    /// Records `device`'s report (the latest report wins).
    func report(_ report: DeploymentReport, deploymentID: String, device: String) async throws(APIError) -> DeploymentInfo {
        let record = DeploymentReportRecord(
            deploymentId: deploymentID, deviceId: device, state: report.state,
            message: report.message.map { String($0.prefix(1000)) }, reportedAt: clock())
        try await pool.writing { db in
            guard try DeploymentRecord.exists(db, key: deploymentID) else {
                throw APIError.notFound("deployment_not_found", "there is no deployment '\(deploymentID)'")
            }
            try record.save(db)
        }
        return try await info(id: deploymentID)
    }

    /// The newest deployment whose selector matches `tags`, as the device's desired model.
    func desiredModel(forTags tags: [Tag]) async throws(APIError) -> DesiredModel? {
        try await pool.reading { db in
            let newestFirst = try DeploymentRecord.order(Column("createdAt").desc, Column("rowid").desc).fetchAll(db)
            guard let deployment = newestFirst.first(where: { $0.selector.matches(tags) }),
                let version = try ModelVersionRecord.fetchOne(
                    db, key: ["model": deployment.model, "version": deployment.version])
            else { return nil }
            return DesiredModel(
                deploymentId: deployment.id, model: deployment.model, version: deployment.version, sha256: version.sha256,
                sha256Int8: version.sha256Int8, manifestSha256: version.manifestSha256, signature: version.signature)
        }
    }
}
