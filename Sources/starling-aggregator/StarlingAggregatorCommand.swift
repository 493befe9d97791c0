import ArgumentParser
import StarlingDaemon
import StarlingProtocol

/// `starling-aggregator`: the federated-learning server of a Starling fleet.
@main
struct StarlingAggregatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "starling-aggregator",
        abstract: "The Starling aggregator: enrollment, model registry, federated rounds, deployments.",
        version: StarlingRelease.version,
        subcommands: [ServeCommand.self])

    /// Reads `--config FILE` into the command line, before the options given on it.
    static func main() async {
        do {
            await main(try ConfigurationFile.expand(Array(CommandLine.arguments.dropFirst())))
        } catch {
            exit(withError: ValidationError(error.description))
        }
    }
}
