import ArgumentParser
import StarlingAdmin
import StarlingProtocol

/// `starling evaluate`: a version's accuracy and loss on the devices' held-out samples.
struct EvaluateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate a version on the devices' held-out samples without training (under SecAgg+ by default).")

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "The model.")
    var model: String

    @Option(help: "The version (default: the newest).")
    var version: Int?

    @OptionGroup var cohort: CohortOptions

    @Option(help: "The fewest devices whose figures make a result (default 3 with secure aggregation, else 1).")
    var minClients: Int?

    @Flag(help: "Print the evaluation as JSON.")
    var json = false

    func run() async throws {
        let request = EvaluateRequest(
            model: model, version: version, selector: try cohort.selector, clients: cohort.clients,
            minClients: minClients,
            deadlineSeconds: cohort.deadline, secureAggregation: cohort.secagg)
        let json = json
        let run = try await connection.withClient { client throws(AdminError) in
            let started = try await client.evaluate(request)
            if !json {
                Console.print("started \(started.id)" + (started.secureAggregation ? " with secure aggregation" : ""))
            }
            return try await RunWatcher(client: client, runId: started.id).follow { _, _ throws(AdminError) in }
        }
        guard run.state == .completed, let evaluation = run.evaluation else {
            Console.error("\(run.id) \(run.state.rawValue): \(run.failureReason ?? "no evaluation was made")")
            throw ExitCode(1)
        }
        if json {
            try Console.json(evaluation)
            return
        }
        for line in EvaluationView.lines(evaluation) { Console.print(line) }
    }
}
