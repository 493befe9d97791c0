import ArgumentParser

/// `starling-aggregator`: the federated-learning server of a Starling fleet.
@main
struct StarlingAggregatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "starling-aggregator",
        abstract: "The Starling aggregator: enrollment, model registry, federated rounds, deployments.",
        subcommands: [ServeCommand.self])
}
