import Foundation
import SecureAggregation
import StarlingProtocol

/// What a replica that does not lead needs of one secure session to serve its devices, as the
/// leader publishes it at the session's start and at every stage's close: each device's task and
/// seat, each group's open stage and the devices it waits for, and the reply each of those will
/// ask for in that stage. The leader alone keeps the SecAgg+ servers.
struct SecureSessionView: Codable, Sendable {
    struct Group: Codable, Sendable {
        /// Why the group was dropped whole; nil while it goes on.
        var dropped: String?
        /// The stage open now; nil once every stage has closed.
        var stage: SecAggStage?
        /// The client indices the open stage waits for.
        var expected: [Int]
        /// Words per masked input.
        var vectorLength: Int
    }

    var attempt: Int
    /// The round the session's tasks are for.
    var round: Int
    var tasks: [String: SecureAggregationTask]
    var seats: [String: SecureRound.Seat]
    var groups: [Group]
    /// Under distributed privacy, the noise each device adds.
    var deviceNoise: Double?
    var replies: [String: SecureReply]

    /// The stage open now in every group still in (they move through the stages together).
    var stage: SecAggStage? { groups.first { $0.dropped == nil }?.stage }

    /// The reply `device` asks for in `stage`: nil while the stage is not open yet, or the
    /// refusal ``check(_:open:dropped:expected:)`` gives.
    func reply(to device: String, in stage: SecAggStage) throws(APIError) -> SecureReply? {
        guard let seat = seats[device] else { throw RunCoordinator.notInCohort }
        let group = groups[seat.group]
        try Self.check(stage, open: group.stage, dropped: group.dropped, expected: group.expected.contains(seat.client))
        guard group.stage == stage else { return nil }
        return replies[device]
    }

    /// Refuses a device's wait for `stage`'s reply in its group, whose open stage is `open`:
    /// 409 `secagg_dropped` for a dropped group or a device that missed an earlier stage,
    /// `round_closed` once every stage has closed, `secagg_wrong_stage` for a stage that closed;
    /// nothing while the stage is open or still to come.
    static func check(_ stage: SecAggStage, open: SecAggStage?, dropped: String?, expected: Bool) throws(APIError) {
        if let dropped { throw SecureRound.groupDropped(dropped) }
        guard let open else { throw RunCoordinator.closed }
        guard open <= stage else {
            throw .conflict(.secaggWrongStage, "the secure-aggregation stage \(stage.rawValue) has already closed")
        }
        guard open < stage || expected else {
            throw .conflict(
                .secaggDropped, "this device missed an earlier stage and takes no further part in this round")
        }
    }
}
