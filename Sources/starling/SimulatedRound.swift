import StarlingAdmin

/// One round of a simulation as `starling simulate` reports it: how long it took from the previous
/// round's end (or the run's start) to its version, as the simulator saw it polling every 50 ms,
/// how many devices it summed, and where the time went. Stage figures are the
/// aggregator's own (`starling_secagg_stage_duration_seconds`): key advertising opens when the
/// cohort is chosen, so it holds the devices' download and training; `finish` is the rest, the
/// unmasking of the sum and the new version.
struct SimulatedRound: Codable, Sendable {
    var devices: Int
    var round: Int
    var state: String
    var seconds: Double
    var survivors: Int
    /// Devices the simulation made vanish in the round.
    var vanished: Int
    var stages: [String: Double]

    /// The stage sums of the aggregator's metrics text, by stage.
    static func stageSums(in metrics: String) -> [String: Double] {
        let prefix = "starling_secagg_stage_duration_seconds_sum{stage=\""
        var sums: [String: Double] = [:]
        for line in metrics.split(separator: "\n") where line.hasPrefix(prefix) {
            let rest = line.dropFirst(prefix.count)
            guard let quote = rest.firstIndex(of: "\""), let space = rest.lastIndex(of: " "),
                let value = Double(rest[rest.index(after: space)...])
            else { continue }
            sums[String(rest[..<quote]), default: 0] += value
        }
        return sums
    }

    /// One line for the person at the terminal.
    var summary: String {
        let order = ["advertise_keys", "share_keys", "masked_input", "unmasking", "finish"]
        let parts = order.compactMap { stage in stages[stage].map { "\(stage) \(Format.fixed($0, digits: 2)) s" } }
        return
            "round \(round): \(state) in \(Format.fixed(seconds, digits: 2)) s, \(survivors) of \(devices) devices summed, \(vanished) vanished"
            + (parts.isEmpty ? "" : " (" + parts.joined(separator: ", ") + ")")
    }
}
