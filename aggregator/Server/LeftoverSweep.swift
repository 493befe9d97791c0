import Foundation
import StarlingProtocol
import StarlingStorage

/// Removes at start-up what a process killed mid-write left in the data folder: the temporary
/// files of interrupted atomic writes, artifacts of model versions whose registration never
/// committed (and the folders of models that never did), and the stored updates of runs that are
/// over. Runs after interrupted runs are marked failed, so only runs still going keep their updates.
enum LeftoverSweep {
    /// What one sweep removed.
    struct Removed: Equatable, Sendable {
        var temporaryFiles = 0
        var orphanArtifacts = 0
        var orphanModelFolders = 0
        var updateFolders = 0

        var total: Int { temporaryFiles + orphanArtifacts + orphanModelFolders + updateFolders }
    }

    static func run(directory: DataDirectory, engine: any StorageEngine) throws -> Removed {
        // A version's artifacts are known by their names and by the paths its row records.
        let (versions, models, liveRuns) = try engine.readBlocking { db in
            (
                Set(
                    try db.rows("SELECT model, version, path, pathInt8 FROM modelVersions").flatMap { row in
                        let (model, version) = (try row.text("model"), try row.integer("version"))
                        let recorded = [try row.text("path"), try row.text("pathInt8")]
                        return ArtifactFormat.allCases.map { "\(model)/\(version)\($0.fileSuffix).safetensors" }
                            + recorded
                    }),
                Set(try db.rows("SELECT name FROM models").map { try $0.text("name") }),
                Set(
                    try db.rows("SELECT id FROM runs WHERE state IN ('waiting', 'running')").map { try $0.text("id") })
            )
        }
        var removed = Removed()
        let files = FileManager.default
        for model in (try? files.contentsOfDirectory(atPath: directory.models.path)) ?? [] {
            let folder = directory.models.appendingPathComponent(model)
            for name in (try? files.contentsOfDirectory(atPath: folder.path)) ?? [] {
                let file = folder.appendingPathComponent(name)
                if name.hasPrefix("."), name.hasSuffix(".tmp") {
                    if (try? files.removeItem(at: file)) != nil { removed.temporaryFiles += 1 }
                } else if name.hasSuffix(".safetensors"), !versions.contains("\(model)/\(name)"),
                    !versions.contains(file.path)
                {
                    if (try? files.removeItem(at: file)) != nil { removed.orphanArtifacts += 1 }
                }
            }
            let left = (try? files.contentsOfDirectory(atPath: folder.path)) ?? []
            if !models.contains(model), left.isEmpty, (try? files.removeItem(at: folder)) != nil {
                removed.orphanModelFolders += 1
            }
        }
        for run in (try? files.contentsOfDirectory(atPath: directory.updates.path)) ?? [] where !liveRuns.contains(run)
        {
            if (try? files.removeItem(at: directory.updates.appendingPathComponent(run))) != nil {
                removed.updateFolders += 1
            }
        }
        return removed
    }
}
