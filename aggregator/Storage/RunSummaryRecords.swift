import Foundation
import StarlingProtocol

/// A run's row as ``RunStore/info(id:)`` reads it: everything but the device lists in its
/// machine. A run is read whenever an operator or a dashboard looks at it, and at fleet scale
/// decoding the machine's cohort and the devices that answered, to show one stage, was a large
/// part of the aggregator's work.
struct RunSummaryRecord: Decodable, Sendable {
    var id: String
    var kind: RunKind
    var model: String
    var state: RoundState
    var plan: RunPlan
    var failureReason: String?
    var createdAt: Date
    var machine: MachineStage?

    /// The machine's stage, from its configuration and phase alone.
    struct MachineStage: Decodable, Sendable {
        var configuration: RunMachine.Configuration
        var phase: RunMachine.Phase

        var stage: RoundStage { RunMachine.stage(of: phase, configuration) }
    }
}

/// A round's row as ``RunStore/info(id:)`` reads it: its cohort counted, not read.
struct RoundSummaryRecord: Decodable, Sendable {
    var round: Int
    var state: RoundState
    var baseVersion: Int
    var cohort: DeviceCount
    var producedVersion: Int?
    var metrics: VersionMetrics?
    var failureReason: String?
    var startedAt: Date
    var endedAt: Date?
    var contributors: Int?
    var attempt: Int

    /// How many devices a stored list of device ids holds.
    struct DeviceCount: Decodable, Sendable {
        var count: Int

        init(from decoder: any Decoder) throws {
            var list = try decoder.unkeyedContainer()
            if let count = list.count {
                self.count = count
                return
            }
            var count = 0
            while !list.isAtEnd {
                _ = try list.decode(String.self)
                count += 1
            }
            self.count = count
        }
    }
}
