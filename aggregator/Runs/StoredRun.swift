import Foundation
import StarlingCore
import StarlingStorage

/// What one unfinished run has in the database: its record and machine, the row of the round it is
/// on, what devices stored for that round, and the versions its tasks start from. Read by a
/// process that takes the run up (``RunResumption``) and by a replica that serves it without
/// leading (``RunCoordinator/followStoredRuns()``).
struct StoredRun: Sendable {
    var run: RunRecord
    var machine: RunMachine
    var round: RoundRecord
    var reports: StoredReports
    var base: ModelVersionRecord?
    /// The digests of the versions the run's tasks start from, by version.
    var digests: [Int: String]

    /// Every unfinished run with a machine, oldest first, but those in `skipping`; with what devices
    /// stored for its round only `withReports` (a replica that does not lead has no use for them).
    static func unfinished(
        skipping: Set<String>, withReports: Bool = true, in db: any SQLConnection
    ) throws -> [StoredRun] {
        let runs = try db.fetchAll(
            RunRecord.self, "SELECT * FROM runs WHERE state IN ('waiting', 'running') ORDER BY createdAt, id")
        return try runs.filter { !skipping.contains($0.id) }.compactMap { run in
            guard let machine = run.machine, let round = try db.fetchOne(RoundRecord.self, key: run.id, machine.round)
            else { return nil }
            let bases =
                run.kind == .statistics
                ? []
                : Set(
                    machine.grants.values.map(\.baseVersion) + machine.secureGroups.groups.map(\.baseVersion)
                        + [machine.baseVersion])
            let versions = try bases.compactMap { version in
                try db.fetchOne(ModelVersionRecord.self, key: run.model, version)
            }
            return StoredRun(
                run: run, machine: machine, round: round,
                reports: withReports
                    ? try StoredReports.read(runId: run.id, round: machine.round, in: db) : StoredReports(),
                base: versions.first { $0.version == machine.baseVersion },
                digests: Dictionary(versions.map { ($0.version, $0.sha256) }, uniquingKeysWith: { $1 }))
        }
    }

    /// The model the run trains or evaluates (nil for statistics runs), and whether its base
    /// version could be read.
    func architecture(_ catalog: ModelCatalog) -> (ModelArchitecture?, readable: Bool) {
        guard run.kind != .statistics else { return (nil, true) }
        guard let base, let bundle = try? catalog.bundle(base) else { return (nil, false) }
        return (bundle.manifest.architecture, true)
    }
}
