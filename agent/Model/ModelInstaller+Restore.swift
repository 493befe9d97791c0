import Logging

extension ModelInstaller {
    /// The model to serve at start-up, from the slots alone (no network): the active slot's if its
    /// files verify (both digests) and decode, else the previous slot's, else none. The store is
    /// brought in line with what serves (a slot whose files fail is dropped with its files), the
    /// files of agents from before model slots are adopted, and other files no slot names are
    /// deleted, except those of an install under way, which the next attempt continues.
    static func restore(
        paths: AgentPaths, store: AgentStore, work: BlockingWork, logger: Logger
    ) async throws(AgentError) -> InstalledModel? {
        let files = ModelFiles(paths: paths)
        let slots = try await store.modelSlots()
        if let active = slots.active {
            _ = try? await work.run { files.adoptLegacyFiles(of: active) }
        }
        var serving: (model: InstalledModel, slots: ModelSlots)?
        var dropped: [InstalledModelRecord] = []
        for (role, record, kept) in [
            ("active", slots.active, slots),
            ("previous", slots.previous, ModelSlots(active: slots.previous, previous: nil)),
        ] {
            guard serving == nil, let record else { continue }
            do {
                serving = (try await load(record, from: files, work: work), kept)
            } catch {
                logger.warning(
                    "the \(role) model slot does not verify; dropping it",
                    metadata: ["model": "\(record.tag)", "reason": "\(error)"])
                dropped.append(record)
            }
        }
        let kept = serving?.slots ?? .empty
        if kept != slots { try await store.recordModelSlots(kept) }
        let removed =
            (try? await work.run { [dropped] in
                files.removeUnreferenced(keeping: kept.records, keepingDownloads: true, dropped: dropped)
            }) ?? []
        if !removed.isEmpty {
            logger.info("removed model files no slot names", metadata: ["files": "\(removed.joined(separator: ", "))"])
        }
        return serving?.model
    }

    /// A slot's model, both files checked against their recorded digests.
    private static func load(
        _ record: InstalledModelRecord, from files: ModelFiles, work: BlockingWork
    ) async throws(AgentError) -> InstalledModel {
        try await work.run { () throws(AgentError) in
            _ = try files.read(.fp32, sha256: record.sha256)
            let int8 = try WeightsDownloader.decodeInt8(try files.read(.int8, sha256: record.sha256Int8))
            return InstalledModel(
                int8: int8, name: record.name, version: record.version, sha256: record.sha256,
                sha256Int8: record.sha256Int8)
        }
    }
}
