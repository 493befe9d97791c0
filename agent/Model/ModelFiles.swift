import StarlingCore
import StarlingProtocol

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The artifacts of the model slots in `DATA/models/`, each named by its SHA-256 so a name can only
/// ever stand for one content: `<sha256>.safetensors` (fp32), `<sha256>.int8.safetensors` (int8),
/// and `<sha256>.partial` while one downloads. A file gets its final name only once it is complete
/// and synced; files no slot names are deleted after a switch, and at start-up all but those of an
/// install still under way.
struct ModelFiles: Sendable {
    let directory: URL

    init(directory: URL) {
        self.directory = directory
    }

    init(paths: AgentPaths) {
        self.init(directory: paths.models)
    }

    /// Where the complete artifact of `format` with `sha256` lives.
    func url(_ format: ArtifactFormat, sha256: String) -> URL {
        directory.appendingPathComponent(Self.name(format, sha256: sha256))
    }

    /// Where the artifact with `sha256` downloads to until it is complete.
    func partial(sha256: String) -> URL {
        directory.appendingPathComponent("\(sha256.lowercased()).partial")
    }

    /// Whether the complete artifact of `format` with `sha256` is stored (not whether it is intact).
    func has(_ format: ArtifactFormat, sha256: String) -> Bool {
        access(url(format, sha256: sha256).path, F_OK) == 0
    }

    /// A stored artifact's bytes, which must still have `sha256`.
    func read(_ format: ArtifactFormat, sha256: String) throws(AgentError) -> [UInt8] {
        try Self.read(url(format, sha256: sha256), sha256: sha256)
    }

    /// The bytes at `url`, which must have `sha256`.
    static func read(_ url: URL, sha256: String) throws(AgentError) -> [UInt8] {
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: url))
        } catch {
            throw .unreadableFile(path: url.path, reason: FileErrorReason.describe(error))
        }
        let actual = ContentDigest.sha256Hex(bytes)
        guard actual == sha256.lowercased() else { throw .digestMismatch(expected: sha256, actual: actual) }
        return bytes
    }

    /// Gives `partial`, complete and synced, its final name `target`. The new name survives a power
    /// cut once ``syncFolder()`` has run, which must happen before anything names the file.
    func commit(_ partial: URL, to target: URL) throws(AgentError) {
        guard rename(partial.path, target.path) == 0 else {
            throw .unwritableFile("cannot rename \(partial.path): \(String(cString: strerror(errno)))")
        }
    }

    /// Creates the folder when it is missing (one `mkdir` when only the folder itself is).
    func prepare() throws(AgentError) {
        if mkdir(directory.path, 0o755) == 0 || errno == EEXIST { return }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw .unwritableFile("cannot create \(directory.path): \(FileErrorReason.describe(error))")
        }
    }

    /// Renames the artifacts of agents from before model slots (`current.safetensors`,
    /// `current.int8.safetensors`, which held the record now migrated into the active slot) to their
    /// content-addressed names, unless those exist already. Each rename is atomic, so an
    /// interrupted adoption finishes at the next start; the digests are checked when the slot loads.
    func adoptLegacyFiles(of record: InstalledModelRecord) {
        let legacy: [(String, ArtifactFormat, String)] = [
            ("current.safetensors", .fp32, record.sha256), ("current.int8.safetensors", .int8, record.sha256Int8),
        ]
        var adopted = false
        for (name, format, sha256) in legacy {
            let source = directory.appendingPathComponent(name)
            let target = url(format, sha256: sha256)
            guard FileManager.default.fileExists(atPath: source.path),
                !FileManager.default.fileExists(atPath: target.path)
            else { continue }
            adopted = rename(source.path, target.path) == 0 || adopted
        }
        if adopted { syncFolder() }
    }

    /// Deletes every file in the folder that no record in `records` names; with `keepingDownloads`,
    /// the artifacts of an install still under way stay (complete ones under their content-addressed
    /// names, unfinished `.partial` ones), so a restarted install continues where it stopped, but not
    /// the files of `dropped` records. Returns the names deleted.
    @discardableResult
    func removeUnreferenced(
        keeping records: [InstalledModelRecord], keepingDownloads: Bool, dropped: [InstalledModelRecord] = []
    ) -> [String] {
        let kept = Set(records.flatMap(Self.names(of:)))
        let discarded = Set(dropped.flatMap(Self.names(of:)))
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return remove(
            names.sorted().filter { name in
                !kept.contains(name) && (discarded.contains(name) || !(keepingDownloads && Self.isDownload(name)))
            })
    }

    /// Deletes the regular files among `names`; returns those deleted. The folder is not synced: a
    /// file whose deletion a power cut undoes is named by no slot, so the next start deletes it again.
    private func remove(_ names: [String]) -> [String] {
        names.filter { name in
            var info = stat()
            let path = directory.appendingPathComponent(name).path
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
            return unlink(path) == 0
        }
    }

    private static func names(of record: InstalledModelRecord) -> [String] {
        [name(.fp32, sha256: record.sha256), name(.int8, sha256: record.sha256Int8)]
    }

    /// Whether `name` is an artifact named by content (64 hex digits, then `.partial`,
    /// `.safetensors` or `.int8.safetensors`).
    private static func isDownload(_ name: String) -> Bool {
        let digest = name.prefix(64)
        guard digest.count == 64, digest.allSatisfy(\.isHexDigit) else { return false }
        return [".partial", ".safetensors", ".int8.safetensors"].contains(String(name.dropFirst(64)))
    }

    private static func name(_ format: ArtifactFormat, sha256: String) -> String {
        switch format {
        case .fp32: "\(sha256.lowercased()).safetensors"
        case .int8: "\(sha256.lowercased()).int8.safetensors"
        }
    }

    /// Makes the names given so far survive a power cut.
    func syncFolder() {
        let descriptor = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }
}
