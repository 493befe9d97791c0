import ArgumentParser
import StarlingAdmin
import StarlingProtocol

/// `starling enroll-token …`: the tokens new devices enroll with: create (as `starling token
/// create`), list without their secrets, and revoke so no further device enrolls with one.
struct EnrollTokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll-token", abstract: "Manage enrollment tokens.",
        subcommands: [TokenCommand.Create.self, List.self, Revoke.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List enrollment tokens (never their secrets).")

        @OptionGroup var connection: ConnectionOptions

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            let tokens = try await connection.withClient { client throws(AdminError) in
                try await client.enrollmentTokens()
            }
            if json {
                try Console.json(EnrollmentTokenList(tokens: tokens))
                return
            }
            var table = Table(header: ["ID", "CREATED", "EXPIRES", "USES LEFT", "REVOKED", "TAGS"])
            for token in tokens {
                table.rows.append([
                    token.id, Format.timestamp(token.createdAt), Format.timestamp(token.expiresAt),
                    String(token.usesLeft),
                    token.revokedAt.map(Format.timestamp) ?? "-", token.tags.map(\.description).joined(separator: ","),
                ])
            }
            Console.print(table.render())
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke an enrollment token: no device enrolls with it any more.",
            discussion:
                "Devices that already enrolled with it keep working; revoke them with `starling devices revoke`.")

        @OptionGroup var connection: ConnectionOptions

        @Argument(help: "The token's id (enr-…), from `starling enroll-token list`.")
        var id: String

        func run() async throws {
            let token = try await connection.withClient { client throws(AdminError) in
                try await client.revokeEnrollmentToken(id: id)
            }
            Console.print("\(token.id) revoked at \(token.revokedAt.map(Format.timestamp) ?? "-")")
        }
    }
}
