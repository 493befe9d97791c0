import ArgumentParser
import StarlingAdmin
import StarlingProtocol

extension ModelCommand {
    /// `starling model alias set|list|delete`: movable names for versions; moving one rolls the new
    /// version out to every deployment that follows the alias.
    struct Alias: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Name a version (production, candidate, …); deployments can follow the name.",
            subcommands: [Set.self, List.self, Delete.self])

        struct Set: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Point an alias at a version (creating or moving it).")

            @OptionGroup var connection: ConnectionOptions

            @Option(help: "The model.")
            var model: String

            @Option(help: "The alias, e.g. production.")
            var alias: String

            @Option(help: "The version it names.")
            var version: Int

            func run() async throws {
                let set = try await connection.withClient { client throws(AdminError) in
                    try await client.setAlias(model: model, alias: alias, version: version)
                }
                Console.print("\(set.model) \(set.alias) -> version \(set.version)")
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List a model's aliases.")

            @OptionGroup var connection: ConnectionOptions

            @Option(help: "The model.")
            var model: String

            @Flag(help: "Print JSON.")
            var json = false

            func run() async throws {
                let aliases = try await connection.withClient { client throws(AdminError) in
                    try await client.aliases(model: model)
                }
                if json {
                    try Console.json(AliasList(aliases: aliases))
                    return
                }
                var table = Table(header: ["ALIAS", "VERSION", "UPDATED"])
                for alias in aliases {
                    table.rows.append([alias.alias, String(alias.version), Format.timestamp(alias.updatedAt)])
                }
                Console.print(table.render())
            }
        }

        struct Delete: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Remove an alias.")

            @OptionGroup var connection: ConnectionOptions

            @Option(help: "The model.")
            var model: String

            @Option(help: "The alias.")
            var alias: String

            func run() async throws {
                _ = try await connection.withClient { client throws(AdminError) in
                    try await client.deleteAlias(model: model, alias: alias)
                }
                Console.print("deleted \(model) \(alias)")
            }
        }
    }
}
