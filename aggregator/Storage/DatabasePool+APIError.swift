import GRDB

extension DatabasePool {
    /// Runs a read; an ``APIError`` thrown inside passes through, anything else is a 500.
    func reading<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws(APIError) -> T {
        do {
            return try await read(body)
        } catch {
            throw Self.apiError(error)
        }
    }

    /// Runs a write transaction; an ``APIError`` thrown inside rolls it back and passes through.
    func writing<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws(APIError) -> T {
        do {
            return try await write(body)
        } catch {
            throw Self.apiError(error)
        }
    }

    /// An ``APIError`` as it is; any other error of the database as a 500.
    static func apiError(_ error: any Error) -> APIError {
        if let error = error as? APIError { return error }
        return .internal("the aggregator's database failed: \(error)")
    }
}
