/// Why a storage operation failed, in terms an HTTP handler can map to a status: the database
/// cannot be reached (retry later, 503), a constraint refused the write (409), or the statement or
/// the schema is wrong (a bug, 500).
public struct StorageError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case unavailable
        case constraint
        case schema
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(kind.rawValue): \(message)" }
}
