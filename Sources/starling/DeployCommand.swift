import ArgumentParser
import StarlingAdmin
import StarlingProtocol

/// `starling deploy …`: puts a model version on every device a selector picks.
struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy", abstract: "Deploy model versions to devices.",
        subcommands: [Create.self, Status.self], defaultSubcommand: Create.self)

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create", abstract: "Deploy a version to devices (all at once).")

        @OptionGroup var connection: ConnectionOptions

        @Option(help: "The model.")
        var model: String

        @Option(help: "The version to run.")
        var version: Int

        @Option(help: "Which devices: TAG=VALUE[,TAG=VALUE…] or all.")
        var to: String

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            let selector: DeviceSelector
            do throws(TagError) { selector = try DeviceSelector(parsing: to) } catch { throw ValidationError(error.description) }
            let deployment = try await connection.withClient { client throws(AdminError) in
                try await client.deploy(CreateDeploymentRequest(model: model, version: version, selector: selector))
            }
            if json {
                try Console.json(deployment)
            } else {
                Console.print("\(deployment.id): \(model) v\(version) to \(selector) (\(deployment.targeted) devices)")
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show how many devices are in each state.")

        @OptionGroup var connection: ConnectionOptions

        @Argument(help: "The deployment's id.")
        var id: String

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            let deployment = try await connection.withClient { client throws(AdminError) in try await client.deployment(id: id) }
            if json {
                try Console.json(deployment)
                return
            }
            let counts = deployment.counts
            Console.print("\(deployment.id): \(deployment.model) v\(deployment.version) to \(deployment.selector), \(deployment.targeted) devices")
            Console.print("  pending \(counts.pending), installed \(counts.installed), failed \(counts.failed)")
        }
    }
}
