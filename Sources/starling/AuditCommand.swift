import ArgumentParser
import Foundation
import StarlingAdmin
import StarlingProtocol

/// `starling audit`: the state-changing admin calls the aggregator recorded, newest first. Reading
/// it needs a token of role admin.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Show the audit log of admin calls that change state (needs role admin).")

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Only calls since then: a duration back from now (90m, 24h, 7d) or an ISO 8601 time.")
    var since: String?

    @Option(help: "At most this many calls, newest first (1…\(AuditLimit.maximum), default \(AuditLimit.default)).")
    var limit: Int?

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        _ = try sinceDate(now: Date())
        if let limit, !(1...AuditLimit.maximum).contains(limit) {
            throw ValidationError("--limit must be from 1 to \(AuditLimit.maximum)")
        }
    }

    func run() async throws {
        let since = try sinceDate(now: Date())
        let events = try await connection.withClient { client throws(AdminError) in
            try await client.audit(since: since, limit: limit)
        }
        if json {
            try Console.json(AuditEventList(events: events))
            return
        }
        var table = Table(header: ["TIME", "TOKEN", "ROLE", "CALL", "OUTCOME", "TARGETS"])
        for event in events {
            table.rows.append([
                Format.timestamp(event.at), event.tokenId, event.role.rawValue, "\(event.method) \(event.route)",
                event.code.map { "\(event.status) \($0)" } ?? String(event.status),
                event.targets.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","),
            ])
        }
        Console.print(table.render())
    }

    private func sinceDate(now: Date) throws -> Date? {
        guard let since else { return nil }
        if let seconds = DurationText.seconds(since) { return now.addingTimeInterval(-seconds) }
        if let date = try? Date(since, strategy: .iso8601) { return date }
        throw ValidationError(
            "--since is a duration such as 24h or 7d, or an ISO 8601 time such as 2025-01-31T12:00:00Z")
    }
}
