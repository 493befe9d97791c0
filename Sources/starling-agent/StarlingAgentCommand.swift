import ArgumentParser

/// `starling-agent`: the device daemon of a Starling fleet and its sample-ingest tool.
@main
struct StarlingAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "starling-agent",
        abstract: "The Starling device agent: local predictions, local training, federated rounds.",
        subcommands: [RunCommand.self, IngestCommand.self])

    /// Sets up malloc before the command, and any thread, starts.
    static func main() async {
        MallocTuning.apply()
        await main(nil)
    }
}
