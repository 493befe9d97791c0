import ArgumentParser
import Foundation
import StarlingAdmin
import StarlingProtocol

/// `starling demo`: the whole federated loop on this machine, on any numeric CSV.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract:
            "Run an aggregator (or replicas behind HAProxy) and N agents on loopback, train federated, deploy, predict.",
        discussion:
            "Ends with one JSON line: {\"rounds\":…,\"final_accuracy\":…,\"centralised_accuracy\":…,\"phase2_rate\":…}."
    )

    @Option(help: "A numeric CSV with a header row.")
    var data: String

    @Option(help: "The label column.")
    var label: String = "label"

    @Option(help: "How many agent processes.")
    var agents: Int = 8

    @Option(help: "How many federated rounds.")
    var rounds: Int = 10

    @Option(help: "Layer widths, e.g. 64-32-10.")
    var arch: String

    @Option(help: "Local epochs per round (default: starling run start's, \(RoundDefaults.localEpochs)).")
    var localEpochs: Int?

    @Option(help: "Local learning rate (default: starling run start's, \(RoundDefaults.learningRate)).")
    var lr: Double?

    @Option(help: "Seed of every random choice.")
    var seed: UInt64 = 7

    @Option(help: "Work folder (default: a new temporary folder).")
    var workDir: String?

    @Flag(help: "Keep the work folder and its logs.")
    var keep = false

    @Option(
        help:
            "Aggregator processes: more than one share a PostgreSQL database behind HAProxy (both from Debian), and the leader is killed after the first round to show a takeover."
    )
    var replicas: Int = 1

    @Option(
        help:
            "With --replicas: the PostgreSQL database (postgres://user@host[:port]/db); a throw-away server when absent."
    )
    var database: String?

    @Option(help: "Differential privacy: local (DP-SGD on each agent), central or distributed (user level).")
    var privacy: PrivacyMode?

    @Option(
        help:
            "With --privacy: ε over the whole run (local: per agent and example; central, distributed: per agent's data)."
    )
    var epsilon: Double = 8

    @Option(help: "With --privacy: δ.")
    var delta: Double = 1e-5

    @Option(
        help: "With --privacy: L2 bound on one example's gradient (local) or one agent's update (central, distributed)."
    )
    var clipNorm: Double = 1

    func validate() throws {
        guard (1...64).contains(agents) else { throw ValidationError("--agents must be between 1 and 64") }
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1") }
        guard (1...9).contains(replicas) else { throw ValidationError("--replicas must be between 1 and 9") }
        if let database {
            guard replicas > 1 else { throw ValidationError("--database is for a demo of --replicas 2 or more") }
            guard database.utf8.count <= 2048, let url = URLComponents(string: database),
                ["postgres", "postgresql"].contains(url.scheme ?? ""), url.host?.isEmpty == false
            else { throw ValidationError("--database must be a postgres:// URL") }
        }
        guard epsilon > 0, delta > 0, delta < 1, clipNorm > 0 else {
            throw ValidationError("--epsilon and --clip-norm must be positive and --delta in (0, 1)")
        }
    }

    func run() async throws {
        let options = DemoOptions(
            data: URL(fileURLWithPath: data), labelColumn: label, agents: agents, rounds: rounds,
            architecture: arch, localEpochs: localEpochs, learningRate: lr, seed: seed,
            workDirectory: workDir.map { URL(fileURLWithPath: $0) }, keep: keep,
            privacy: privacy.map { PrivacyRequest(mode: $0, epsilon: epsilon, delta: delta, clipNorm: clipNorm) },
            replicas: replicas, database: database)
        let runner = DemoRunner(options: options) { Console.print($0) }
        let report = try await reportingErrors { () async throws(AdminError) in
            try await runner.run(binaries: StarlingBinaries.locate())
        }
        try Console.json(report)
    }
}
