import ArgumentParser
import StarlingAdmin
import StarlingProtocol

/// `starling token create`: makes enrollment tokens for new devices.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Manage enrollment tokens.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an enrollment token and print it.")

        @OptionGroup var connection: ConnectionOptions

        @Option(help: "Seconds the token stays valid.")
        var ttl: Int = 3600

        @Option(help: "How many devices may enroll with it.")
        var uses: Int = 1

        @Option(name: .customLong("tag"), help: "A tag (key=value) given to every device enrolling with it; repeatable.")
        var tags: [String] = []

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            var parsed: [Tag] = []
            for text in tags {
                do throws(TagError) { parsed.append(try Tag(parsing: text)) } catch { throw ValidationError(error.description) }
            }
            let info = try await connection.withClient { client throws(AdminError) in
                try await client.createEnrollmentToken(
                    CreateEnrollmentTokenRequest(ttlSeconds: ttl, maxUses: uses, tags: parsed))
            }
            if json {
                try Console.json(info)
            } else {
                Console.print(info.token)
            }
        }
    }
}
