import StarlingStorage

extension StorageEngine {
    /// Runs a read; an ``APIError`` thrown inside passes through, a database out of reach is a 503
    /// the client may retry, anything else a 500.
    func reading<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws(APIError) -> T {
        do {
            return try await read(body)
        } catch {
            throw storageAPIError(error)
        }
    }

    /// Runs a write transaction; an ``APIError`` thrown inside rolls it back and passes through.
    func writing<T: Sendable>(_ body: @escaping @Sendable (any SQLConnection) throws -> T) async throws(APIError) -> T {
        do {
            return try await write(body)
        } catch {
            throw storageAPIError(error)
        }
    }
}

/// An ``APIError`` as it is; the database out of reach as 503 `storage_unavailable`; any other
/// error of the database as a 500.
func storageAPIError(_ error: any Error) -> APIError {
    switch error {
    case let error as APIError: return error
    case let error as StorageError where error.kind == .unavailable:
        return APIError(
            .serviceUnavailable, .storageUnavailable, "the aggregator's database cannot be reached; retry later")
    default: return .internal("the aggregator's database failed: \(error)")
    }
}
