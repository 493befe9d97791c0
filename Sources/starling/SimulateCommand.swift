import ArgumentParser
import Foundation
import StarlingAdmin
import StarlingProtocol

/// `starling simulate`: federated rounds at fleet scale on one machine, timed.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract:
            "Run N in-process devices on the agent's round code over mutual TLS against a real aggregator process, and time each round.",
        discussion:
            "Prints one line per round with its stage breakdown, or with --json one JSON line per round: {\"devices\":…,\"round\":…,\"seconds\":…,\"survivors\":…,\"stages\":{…}}."
    )

    @Option(help: "How many simulated devices (1…10000).")
    var devices: Int

    @Option(help: "Layer widths of the model trained, e.g. 64-512-128-10 (about 100k parameters).")
    var model: String = "64-512-128-10"

    @Option(help: "How many federated rounds.")
    var rounds: Int = 3

    @Flag(inversion: .prefixedNo, help: "Combine updates by secure aggregation (SecAgg+).")
    var secagg = true

    @Option(help: "Share of the devices that vanish in each round, after sharing their keys (0…0.5).")
    var dropout: Double = 0

    @Option(help: "With secure aggregation: split the cohort into SecAgg+ groups of at least this many devices.")
    var groupSize: Int?

    @Option(help: "With secure aggregation: how long a stage waits for devices that vanished.")
    var stageSeconds: Double = 5

    @Option(
        help:
            "With secure aggregation: close a stage that has most of every group once no device has answered for this long (default a tenth of --stage-seconds, at least 0.5)."
    )
    var quietSeconds: Double?

    @Option(help: "Rows of the data each device trains and evaluates on.")
    var rowsPerDevice: Int = 16

    @Option(help: "The round deadline, in seconds.")
    var deadline: Double = 600

    @Option(help: "A numeric CSV with a header row, dealt round-robin to the devices.")
    var data: String = "data/digits.csv"

    @Option(help: "The label column.")
    var label: String = "label"

    @Option(help: "Seed of every random choice.")
    var seed: UInt64 = 7

    @Option(help: "Work folder (default: a new temporary folder).")
    var workDir: String?

    @Flag(
        help:
            "Run the aggregator with --device-http2: the devices (which offer HTTP/2, as agents do) hold one connection each instead of two."
    )
    var http2 = false

    @Flag(help: "Keep the work folder and the aggregator's log.")
    var keep = false

    @Flag(help: "One JSON line per round on stdout.")
    var json = false

    func validate() throws {
        guard (1...10_000).contains(devices) else { throw ValidationError("--devices must be between 1 and 10000") }
        guard (1...1_000).contains(rounds) else { throw ValidationError("--rounds must be between 1 and 1000") }
        guard dropout.isFinite, (0...0.5).contains(dropout) else {
            throw ValidationError("--dropout must be between 0 and 0.5")
        }
        guard stageSeconds.isFinite, (1...600).contains(stageSeconds) else {
            throw ValidationError("--stage-seconds must be between 1 and 600")
        }
        if let quietSeconds {
            guard secagg else { throw ValidationError("--quiet-seconds needs secure aggregation") }
            guard quietSeconds.isFinite, StartRunRequest.secureAggregationQuietSecondsRange.contains(quietSeconds)
            else {
                throw ValidationError("--quiet-seconds must be between 0.1 and 600")
            }
        }
        guard deadline.isFinite, deadline > 0, deadline <= 86_400 else {
            throw ValidationError("--deadline must be in (0, 86400]")
        }
        guard (2...100_000).contains(rowsPerDevice) else {
            throw ValidationError("--rows-per-device must be between 2 and 100000")
        }
        if let groupSize {
            guard secagg else { throw ValidationError("--group-size needs secure aggregation") }
            guard (3...10_000).contains(groupSize) else {
                throw ValidationError("--group-size must be between 3 and 10000")
            }
        }
    }

    func run() async throws {
        let settings = SimulationSettings(
            devices: devices, architecture: model, rounds: rounds, secureAggregation: secagg, dropout: dropout,
            groupSize: groupSize, stageSeconds: stageSeconds, quietSeconds: quietSeconds, http2: http2,
            rowsPerDevice: rowsPerDevice,
            deadlineSeconds: deadline,
            data: URL(fileURLWithPath: data), labelColumn: label, seed: seed,
            workDirectory: workDir.map { URL(fileURLWithPath: $0) }, keep: keep)
        let json = json
        let runner = SimulationRunner(
            settings: settings, say: { Console.note($0) },
            report: { round in
                if json, let line = try? StarlingJSON.line(round) {
                    Console.print(line)
                } else {
                    Console.print(round.summary)
                }
            })
        try await reportingErrors { () async throws(AdminError) in try await runner.run(binaries: .locate()) }
    }
}
