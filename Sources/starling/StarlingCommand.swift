import ArgumentParser
import Foundation
import StarlingProtocol

/// `starling`: the operator's and admin's command line for a Starling fleet.
@main
struct StarlingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "starling",
        abstract: "Operate a Starling fleet: enroll devices, run federated rounds, deploy models.",
        discussion: """
            The aggregator is found from --url/--ca/--token, from STARLING_URL, STARLING_CA and \
            STARLING_TOKEN, or from an aggregator's data folder (--aggregator-dir or STARLING_AGGREGATOR_DIR).
            Exit status: 0 success, 1 the command failed, 2 bad command line, 3 missing or unreadable \
            configuration, 4 aggregator unreachable, 5 request refused by the aggregator.
            """,
        version: StarlingRelease.version,
        subcommands: [
            TokenCommand.self, EnrollTokenCommand.self, DevicesCommand.self, ModelCommand.self, RunCommand.self,
            StatsCommand.self, EvaluateCommand.self, DeployCommand.self, RefinementCommand.self, AuditCommand.self,
            DemoCommand.self, SimulateCommand.self, PrivacyCommand.self, MonitorCommand.self,
        ])

    /// Runs the command, giving a bad command line the documented exit status 2 (the argument
    /// parser's own default for validation failures is 64).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(2)
        }
    }
}
