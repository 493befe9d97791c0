import Synchronization

/// The rows of registered versions read so far, by `model@version`. A version's row never changes
/// once the aggregator serves (the int8 and signature backfills run before), and every model
/// download names one, so the catalog reads each from SQLite once.
final class VersionRows: Sendable {
    private let rows = Mutex<[String: ModelVersionRecord]>([:])

    func row(model: String, version: Int) -> ModelVersionRecord? {
        rows.withLock { $0[Self.key(model, version)] }
    }

    func keep(_ row: ModelVersionRecord) {
        rows.withLock { $0[Self.key(row.model, row.version)] = row }
    }

    private static func key(_ model: String, _ version: Int) -> String { "\(model)@\(version)" }
}
