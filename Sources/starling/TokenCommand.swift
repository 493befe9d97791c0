import ArgumentParser
import Foundation
import StarlingAdmin
import StarlingProtocol

/// `starling token …`: enrollment tokens for new devices (`create`, kept beside `starling
/// enroll-token`), and the admin API's bearer tokens with their roles (`create-admin`, `list`,
/// `revoke`).
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Manage admin tokens; create enrollment tokens.",
        subcommands: [Create.self, CreateAdmin.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an enrollment token and print it.")

        @OptionGroup var connection: ConnectionOptions

        @Option(help: "Seconds the token stays valid.")
        var ttl: Int = 3600

        @Option(help: "How many devices may enroll with it.")
        var uses: Int = 1

        @Option(
            name: .customLong("tag"), help: "A tag (key=value) given to every device enrolling with it; repeatable.")
        var tags: [String] = []

        @Flag(help: "Print JSON (with the token's id, for `starling enroll-token revoke`).")
        var json = false

        func run() async throws {
            var parsed: [Tag] = []
            for text in tags {
                do throws(TagError) { parsed.append(try Tag(parsing: text)) } catch {
                    throw ValidationError(error.description)
                }
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

    struct CreateAdmin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-admin",
            abstract: "Create an admin API token with a role and print its secret, once.",
            discussion: """
                viewer reads; operator also starts runs and steers deployments and aliases; admin also \
                manages tokens, enrollment tokens, device revocation, models, refinement and reads the audit log.
                """)

        @OptionGroup var connection: ConnectionOptions

        @Option(help: "viewer, operator or admin.")
        var role: AdminRole

        @Option(help: "How long the token works, e.g. 12h, 30d (default 90d, at most 365d).")
        var ttl: String?

        @Flag(help: "Print JSON (the secret and the token's id, role and expiry).")
        var json = false

        func validate() throws { _ = try ttlSeconds() }

        func run() async throws {
            let request = CreateAdminTokenRequest(role: role.rawValue, ttlSeconds: try ttlSeconds())
            let created = try await connection.withClient { client throws(AdminError) in
                try await client.createAdminToken(request)
            }
            if json {
                try Console.json(created)
            } else {
                Console.print(created.token)
                Console.note(
                    "\(created.info.id), role \(created.info.role.rawValue), "
                        + "expires \(created.info.expiresAt.map(Format.timestamp) ?? "never"); the secret is not shown again"
                )
            }
        }

        private func ttlSeconds() throws -> Int? {
            guard let ttl else { return nil }
            let maximum = Double(AdminTokenLifetime.maximumSeconds)
            guard let seconds = DurationText.seconds(ttl), seconds >= 1, seconds <= maximum else {
                throw ValidationError("--ttl is a duration from 1s to 365d, such as 12h or 30d, not '\(ttl)'")
            }
            return Int(seconds.rounded())
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List admin tokens (never their secrets).")

        @OptionGroup var connection: ConnectionOptions

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            let tokens = try await connection.withClient { client throws(AdminError) in try await client.adminTokens() }
            if json {
                try Console.json(AdminTokenList(tokens: tokens))
                return
            }
            var table = Table(header: ["ID", "ROLE", "CREATED", "EXPIRES", "LAST USED", "REVOKED"])
            for token in tokens {
                table.rows.append([
                    token.id, token.role.rawValue, Format.timestamp(token.createdAt),
                    token.expiresAt.map(Format.timestamp) ?? "never", token.lastUsedAt.map(Format.timestamp) ?? "-",
                    token.revokedAt.map(Format.timestamp) ?? "-",
                ])
            }
            Console.print(table.render())
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke an admin token: it is refused from its next call on.")

        @OptionGroup var connection: ConnectionOptions

        @Argument(help: "The token's id (adm-…), from `starling token list`.")
        var id: String

        func run() async throws {
            let token = try await connection.withClient { client throws(AdminError) in
                try await client.revokeAdminToken(id: id)
            }
            Console.print(
                "\(token.id) (\(token.role.rawValue)) revoked at \(token.revokedAt.map(Format.timestamp) ?? "-")")
        }
    }
}

extension AdminRole: ExpressibleByArgument {}
