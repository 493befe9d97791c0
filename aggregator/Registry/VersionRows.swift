import Synchronization

/// The rows of registered versions read so far, by their ``VersionTag`` (`model@version`). A
/// version's row never changes once the aggregator serves (the int8 and signature backfills run
/// before), and every model download and every watch's desired model names one, so each is read
/// from the database once.
final class VersionRows: Sendable {
    private let rows = Mutex<[String: ModelVersionRecord]>([:])

    func row(_ tag: String) -> ModelVersionRecord? {
        rows.withLock { $0[tag] }
    }

    func keep(_ row: ModelVersionRecord) {
        rows.withLock { $0[VersionTag(model: row.model, version: row.version).description] = row }
    }
}
