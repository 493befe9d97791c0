import ArgumentParser
import StarlingAdmin
import StarlingProtocol

/// `starling refinement set`: names the registry model that answers phase-two predictions.
struct RefinementCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refinement", abstract: "Configure phase-two refinement.", subcommands: [Set.self])

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Serve phase two with a registry model.")

        @OptionGroup var connection: ConnectionOptions

        @Option(help: "The registry model answering phase two.")
        var model: String

        @Option(help: "Pin a version (default: the newest).")
        var version: Int?

        func run() async throws {
            let settings = try await connection.withClient { client throws(AdminError) in
                try await client.setRefinement(RefinementSettings(model: model, version: version))
            }
            Console.print(
                "phase two answered by \(settings.model)\(settings.version.map { "@\($0)" } ?? " (newest version)")")
        }
    }
}
