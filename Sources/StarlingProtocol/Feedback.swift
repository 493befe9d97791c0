/// The true label of an earlier keyed prediction, arriving late (`POST /v1/feedback`).
public struct FeedbackRequest: Codable, Sendable, Equatable {
    /// The key the prediction was asked with.
    public var key: String
    /// The label it should have had: one of the model's labels.
    public var label: String

    public init(key: String, label: String) {
        self.key = key
        self.label = label
    }

    /// The longest key a prediction is kept under, in UTF-8 bytes.
    public static let maximumKeyLength = 256
    /// The most feedback items in one batch.
    public static let maximumBatch = 10_000
}

/// Several labels at once (`POST /v1/feedback/batch`): taken all or none.
public struct FeedbackBatchRequest: Codable, Sendable {
    public var items: [FeedbackRequest]

    public init(items: [FeedbackRequest]) { self.items = items }
}

/// What feedback was taken: how many labels, and how many of them the prediction had right.
public struct FeedbackReceipt: Codable, Sendable, Equatable {
    public var accepted: Int
    public var correct: Int

    public init(accepted: Int, correct: Int) {
        self.accepted = accepted
        self.correct = correct
    }
}
