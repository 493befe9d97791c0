import StarlingAdmin

/// One round of a simulation as `starling simulate` reports it: how long it took from the previous
/// round's end (or the run's start) to its version, as the simulator saw it polling every 50 ms,
/// how many devices it summed, and where the time went. Stage figures are the
/// aggregator's own (`starling_secagg_stage_duration_seconds`): key advertising opens when the
/// cohort is chosen, so it holds the devices' download and training; `finish` is the rest, the
/// unmasking of the sum and the new version. The requests are the aggregator's count too. Both are
/// read from the metrics when the simulator sees the round end; the next round starts at once, so
/// its first moments (a few devices' requests, with a handful of devices its whole first stage) can
/// fall in the round before.
struct SimulatedRound: Codable, Sendable {
    var devices: Int
    var round: Int
    var state: String
    var seconds: Double
    var survivors: Int
    /// Devices the simulation made vanish in the round.
    var vanished: Int
    var stages: [String: Double]
    /// Device requests the aggregator answered during the round, by "METHOD route" (some answer
    /// watches and stage replies held since the round before).
    var requests: [String: Int]

    /// One line for the person at the terminal.
    var summary: String {
        let order = ["advertise_keys", "share_keys", "masked_input", "unmasking", "finish"]
        let parts = order.compactMap { stage in stages[stage].map { "\(stage) \(Format.fixed($0, digits: 2)) s" } }
        return
            "round \(round): \(state) in \(Format.fixed(seconds, digits: 2)) s, \(survivors) of \(devices) devices summed, \(vanished) vanished"
            + (parts.isEmpty ? "" : " (" + parts.joined(separator: ", ") + ")")
            + "; \(Format.fixed(Double(requests.values.reduce(0, +)) / Double(max(1, devices)), digits: 1)) requests a device"
    }
}
