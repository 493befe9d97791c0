import ArgumentParser
import StarlingProtocol

/// Who takes part in a one-round run (an evaluation or a statistics collection), and how: shared by
/// `starling evaluate` and `starling stats collect`.
struct CohortOptions: ParsableArguments {
    @Option(help: "Only devices with these tags (key=value,…) take part.")
    var to: String = "all"

    @Option(help: "Devices asked (default: every eligible device, up to 100 for an evaluation, 1000 for statistics).")
    var clients: Int?

    @Option(help: "Seconds the devices have (default: the aggregator's round deadline).")
    var deadline: Double?

    @Flag(inversion: .prefixedNo, help: "Combine the devices' contributions by secure aggregation (SecAgg+).")
    var secagg = true

    func validate() throws {
        if let clients, clients < 1 { throw ValidationError("--clients must be positive") }
        if let deadline, !(deadline > 0) { throw ValidationError("--deadline must be a positive number of seconds") }
    }

    var selector: DeviceSelector {
        get throws { try parseSelector(to) }
    }
}
