import ArgumentParser
import StarlingDaemon
import StarlingProtocol

/// `starling-agent`: the device daemon of a Starling fleet and its sample-ingest tool.
@main
struct StarlingAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "starling-agent",
        abstract: "The Starling device agent: local predictions, local training, federated rounds.",
        version: StarlingRelease.version,
        subcommands: [RunCommand.self, IngestCommand.self])

    /// Sets up malloc before the command, and any thread, starts.
    static func main() async {
        MallocTuning.apply()
        do {
            await main(try ConfigurationFile.expand(Array(CommandLine.arguments.dropFirst())))
        } catch {
            exit(withError: ValidationError(error.description))
        }
    }
}
