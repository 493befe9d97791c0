import StarlingProtocol

/// A run's row as ``RunStore/info(id:)`` reads it: its machine's configuration and phase only, not
/// its cohort, groups or grants. A run is read whenever an operator or a dashboard looks at it, and
/// at fleet scale decoding the whole machine, to show one stage, was a large part of the
/// aggregator's work. (While key advertisements arrive, the phase itself lists the devices that
/// sent one.)
typealias RunSummaryRecord = RunRow<MachineStage>

/// A round's row as ``RunStore/info(id:)`` reads it: its cohort counted, not read.
typealias RoundSummaryRecord = RoundRow<DeviceCount>

/// A stored run machine's stage, from its configuration and phase alone.
struct MachineStage: Decodable, Sendable {
    var configuration: RunMachine.Configuration
    var phase: RunMachine.Phase

    var stage: RoundStage { RunMachine.stage(of: phase, configuration) }
}

/// How many devices a round's cohort holds, as its `cohortSize` column counts them.
struct DeviceCount: Decodable, Sendable {
    var count: Int

    init(from decoder: any Decoder) throws {
        count = try decoder.singleValueContainer().decode(Int.self)
    }
}
