/// The body of every 4xx and 5xx answer: a stable machine-readable code and one human sentence.
///
/// Codes are lowercase snake_case and never change meaning once shipped; clients branch on `code`,
/// people read `message`.
public struct APIErrorBody: Codable, Sendable, Equatable {
    /// The error itself.
    public struct Detail: Codable, Sendable, Equatable {
        public var code: String
        public var message: String

        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    public var error: Detail

    public init(code: String, message: String) {
        self.error = Detail(code: code, message: message)
    }
}
