import Foundation
import StarlingProtocol

/// An enrolled, active device as requests, rounds and rollouts see it: its row without the
/// certificate, which nothing needs after enrollment.
struct Device: Sendable, Equatable {
    let id: String
    let tags: [Tag]
    let enrolledAt: Date
    var lastSeen: Date?
    var sampleCount: Int
    var runningModel: String?
    /// The replica that stored the last heartbeat, as this replica last read it.
    var seenBy: String?

    init(
        id: String, tags: [Tag], enrolledAt: Date, lastSeen: Date? = nil, sampleCount: Int = 0,
        runningModel: String? = nil, seenBy: String? = nil
    ) {
        self.id = id
        self.tags = tags
        self.enrolledAt = enrolledAt
        self.lastSeen = lastSeen
        self.sampleCount = sampleCount
        self.runningModel = runningModel
        self.seenBy = seenBy
    }

    init(_ record: DeviceRecord) {
        self.init(
            id: record.id, tags: record.tags, enrolledAt: record.enrolledAt, lastSeen: record.lastSeen,
            sampleCount: record.sampleCount, runningModel: record.runningModel, seenBy: record.seenBy)
    }
}
