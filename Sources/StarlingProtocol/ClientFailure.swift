#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Why a device in a round's cohort sent no contribution.
public enum ClientFailureReason: String, Codable, Sendable, CaseIterable {
    /// Local training made the loss or the weights non-finite; the device stopped and sent nothing.
    case diverged
    /// No local sample fits the task (another feature width, labels the model does not know, or no
    /// held-out samples to evaluate on).
    case noData = "no_data"
    /// The device could not carry out the task for another reason, stated in the detail.
    case failed
    /// An admin revoked the device while the round waited for it; the aggregator records this
    /// itself, and the round goes on without the device.
    case revoked
}

/// A device's report that it takes no part in a round, `POST`ed to
/// ``APIPath/deviceFailure(runId:round:)`` so the round stops waiting for it.
public struct ClientFailureReport: Codable, Sendable, Equatable {
    /// Longest detail the aggregator accepts, in characters.
    public static let maximumDetailLength = 500

    public var reason: ClientFailureReason
    /// One sentence on what happened, e.g. "the loss became NaN at step 12".
    public var detail: String

    public init(reason: ClientFailureReason, detail: String) {
        self.reason = reason
        self.detail = detail
    }
}

/// A failed client as a round's status shows it.
public struct ClientFailure: Codable, Sendable, Equatable {
    public var device: String
    public var reason: ClientFailureReason
    public var detail: String
    public var reportedAt: Date

    public init(device: String, reason: ClientFailureReason, detail: String, reportedAt: Date) {
        self.device = device
        self.reason = reason
        self.detail = detail
        self.reportedAt = reportedAt
    }
}
