import NIOCore
import PostgresNIO

extension PostgresQueryResult {
    /// The result's rows as the engine-neutral ``SQLRow``s the stores read: integers (and booleans,
    /// as 0/1) as `integer`, floating point as `real`, text as `text`, `bytea` as `blob`.
    func sqlRows() throws(StorageError) -> [SQLRow] {
        var rows: [SQLRow] = []
        for row in self {
            var columns: [String] = []
            var values: [SQLValue] = []
            for cell in row {
                columns.append(cell.columnName)
                values.append(try cell.sqlValue())
            }
            rows.append(SQLRow(columns: columns, values: values))
        }
        return rows
    }
}

extension PostgresConnection {
    /// Starts closing the connection from code that cannot wait, keeping it alive until it closed.
    func closeWithoutWaiting() {
        let closing: EventLoopFuture<Void> = close()
        closing.whenComplete { _ in withExtendedLifetime(self) {} }
    }
}

extension PostgresCell {
    fileprivate func sqlValue() throws(StorageError) -> SQLValue {
        guard bytes != nil else { return .null }
        do {
            switch dataType {
            case .int2, .int4, .int8: return .integer(try decode(Int64.self))
            case .float4, .float8: return .real(try decode(Double.self))
            case .text, .varchar, .name, .bpchar: return .text(try decode(String.self))
            case .bytea:
                var buffer = try decode(ByteBuffer.self)
                return .blob(buffer.readBytes(length: buffer.readableBytes) ?? [])
            case .bool: return .integer(try decode(Bool.self) ? 1 : 0)
            default:
                throw StorageError(.schema, "column \(columnName) has type \(dataType), which Starling does not read")
            }
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError(.schema, "column \(columnName) could not be read: \(error)")
        }
    }
}
