import ArgumentParser
import Foundation
import StarlingAdmin
import StarlingProtocol

/// `starling deploy …`: rolls a model version (or an alias) out to the devices a selector picks,
/// all at once, in canary waves with health gates, or pinned; and the operator's controls over a
/// running rollout.
struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy", abstract: "Roll model versions out to devices.",
        subcommands: [
            Create.self, Status.self, Events.self, Pause.self, Resume.self, Abort.self, Rollback.self, Promote.self,
        ],
        defaultSubcommand: Create.self)

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create", abstract: "Start a rollout (the default: `starling deploy --model …`).")

        @OptionGroup var connection: ConnectionOptions

        @Option(help: "The model.")
        var model: String

        @Option(help: "The version to run.")
        var version: Int?

        @Option(help: "An alias to follow instead of a version: moving it rolls the new version out.")
        var alias: String?

        @Option(help: "Which devices: TAG=VALUE[,TAG=VALUE…] or all.")
        var to: String

        @Option(help: "all (at once), canary (waves with health gates) or pinned (at once, and held).")
        var strategy: DeploymentStrategy = .all

        @Option(help: "Canary: cumulative wave percentages, e.g. 5,25,100.")
        var waves: String?

        @Option(help: "How long each wave bakes before the next, e.g. 90s, 10m, 1h (default: 10m for canary).")
        var bake: String?

        @Option(help: "The share of devices that may fail before the rollout halts and rolls back.")
        var maxFailureRate: Double = 0.05

        @Option(help: "How far a device's smoke-test accuracy may fall below the version it replaced.")
        var maxAccuracyDrop: Double = 0.05

        @Option(
            help:
                "Try the version beside the devices' own instead: shadow (answers never returned), ab (--split % of keys), bandit (Thompson sampling, --arms)."
        )
        var mode: ExperimentMode?

        @Option(help: "ab: the percentage of keys the version answers (default 50).")
        var split: Double?

        @Option(help: "bandit: more candidate versions, e.g. 4,5.")
        var arms: String?

        @Option(help: "Experiments: the feedback each arm needs before a verdict (default 100).")
        var minFeedback: Int?

        @Flag(help: "Print JSON.")
        var json = false

        func validate() throws {
            guard (version == nil) != (alias == nil) else {
                throw ValidationError("give exactly one of --version and --alias")
            }
            if waves != nil, strategy != .canary { throw ValidationError("--waves needs --strategy canary") }
            if mode == nil, split != nil || arms != nil || minFeedback != nil {
                throw ValidationError("--split, --arms and --min-feedback need --mode")
            }
            if mode != nil, strategy != .all || waves != nil || bake != nil {
                throw ValidationError("an experiment takes no --strategy, --waves or --bake: promote does")
            }
            _ = try parsedArms()
            _ = try parsedWaves()
            _ = try bakeSeconds()
        }

        func run() async throws {
            let selector: DeviceSelector
            do throws(TagError) { selector = try DeviceSelector(parsing: to) } catch {
                throw ValidationError(error.description)
            }
            let request = CreateDeploymentRequest(
                model: model, version: version, alias: alias, selector: selector,
                strategy: mode == nil ? strategy : nil,
                waves: try parsedWaves(),
                bakeSeconds: try bakeSeconds(), maxFailureRate: mode == nil ? maxFailureRate : nil,
                maxAccuracyDrop: mode == nil ? maxAccuracyDrop : nil, mode: mode, split: split, arms: try parsedArms(),
                minFeedback: minFeedback)
            let deployment = try await connection.withClient { client throws(AdminError) in
                try await client.deploy(request)
            }
            if json {
                try Console.json(deployment)
            } else {
                Console.print(
                    "\(deployment.id): \(model) v\(deployment.version) to \(selector), \(deployment.strategy.rawValue), "
                        + "\(deployment.targeted) devices")
            }
        }

        private func parsedWaves() throws -> [Double]? { try waves.map(CanaryText.waves) }

        private func parsedArms() throws -> [Int]? {
            try arms.map { text in
                let versions = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
                guard !versions.isEmpty, versions.allSatisfy({ $0 != nil }) else {
                    throw ValidationError("--arms is a comma-separated list of versions, e.g. 4,5")
                }
                return versions.compactMap { $0 }
            }
        }

        private func bakeSeconds() throws -> Double? { try bake.map(CanaryText.bake) }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a rollout's waves, counts per state and progress.")

        @OptionGroup var connection: ConnectionOptions

        @Argument(help: "The deployment's id.")
        var id: String

        @Flag(help: "Keep showing it until the rollout ends.")
        var watch = false

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            try await connection.withClient { client throws(AdminError) in
                var last = ""
                while true {
                    let deployment = try await client.deployment(id: id)
                    if json {
                        try? Console.json(deployment)
                    } else {
                        let text = DeploymentView.render(deployment)
                        if text != last { Console.print(text) }
                        last = text
                    }
                    guard watch, deployment.state == .running || deployment.state == .paused else { return }
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }

    struct Events: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a rollout's history.")

        @OptionGroup var connection: ConnectionOptions

        @Argument(help: "The deployment's id.")
        var id: String

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            let events = try await connection.withClient { client throws(AdminError) in
                try await client.deploymentEvents(id: id)
            }
            if json {
                try Console.json(DeploymentEventList(events: events))
                return
            }
            for event in events { Console.print("\(Format.timestamp(event.at))  \(event.message)") }
        }
    }

    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Hold a rollout at its current wave.")
        @OptionGroup var control: Control
        func run() async throws { try await control.send("pause") }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Let a paused rollout go on.")
        @OptionGroup var control: Control
        func run() async throws { try await control.send("resume") }
    }

    struct Abort: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop a rollout where it is, moving no device back.")
        @OptionGroup var control: Control
        func run() async throws { try await control.send("abort") }
    }

    struct Promote: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ship an experiment's winner (the shadow, or the arm its verdict names) as a rollout.")

        @OptionGroup var connection: ConnectionOptions

        @Argument(help: "The experiment's id.")
        var id: String

        @Option(help: "all, canary or pinned (default all).")
        var strategy: DeploymentStrategy?

        @Option(help: "Canary: cumulative wave percentages, e.g. 5,25,100.")
        var waves: String?

        @Option(help: "How long each wave bakes, e.g. 90s, 10m.")
        var bake: String?

        func run() async throws {
            let request = PromoteRequest(
                strategy: strategy, waves: try waves.map(CanaryText.waves), bakeSeconds: try bake.map(CanaryText.bake))
            let deployment = try await connection.withClient { client throws(AdminError) in
                try await client.promote(id: id, request)
            }
            Console.print(DeploymentView.render(deployment))
        }
    }

    struct Rollback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send every device a rollout moved back to its previous version.")
        @OptionGroup var control: Control
        func run() async throws { try await control.send("rollback") }
    }

    /// The arguments every rollout control shares.
    struct Control: ParsableArguments {
        @OptionGroup var connection: ConnectionOptions

        @Argument(help: "The deployment's id.")
        var id: String

        func send(_ action: String) async throws {
            let deployment = try await connection.withClient { client throws(AdminError) in
                try await client.deployment(id: id, action: action)
            }
            Console.print(DeploymentView.render(deployment))
        }
    }
}

extension DeploymentStrategy: ExpressibleByArgument {}
extension ExperimentMode: ExpressibleByArgument {}
