import ArgumentParser
import StarlingAdmin
import StarlingProtocol

/// `starling devices …`: the fleet as the aggregator sees it, and revoking a device.
struct DevicesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices", abstract: "Inspect and revoke enrolled devices.", subcommands: [List.self, Revoke.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List enrolled devices, revoked ones included.")

        @OptionGroup var connection: ConnectionOptions

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            let devices = try await connection.withClient { client throws(AdminError) in try await client.devices() }
            if json {
                try Console.json(DeviceList(devices: devices))
                return
            }
            var table = Table(header: ["DEVICE", "ONLINE", "SAMPLES", "MODEL", "REVOKED", "TAGS"])
            for device in devices {
                table.rows.append([
                    device.id, device.online ? "yes" : "no", String(device.sampleCount), device.runningModel ?? "-",
                    device.revokedAt.map(Format.timestamp) ?? "-",
                    device.tags.map(\.description).joined(separator: ","),
                ])
            }
            Console.print(table.render())
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a device: its certificate is refused from its next request on.",
            discussion: """
                The device leaves the rounds and rollouts it is part of. To bring the machine back, remove \
                the identity folder in its data folder and start its agent with a new enrollment token: it \
                enrolls as a new device, and this one stays revoked.
                """)

        @OptionGroup var connection: ConnectionOptions

        @Argument(help: "The device's id (dev-…), from `starling devices list`.")
        var id: String

        @Option(help: "Why, for the device listing and the audit log (at most 500 characters).")
        var reason: String?

        func run() async throws {
            let device = try await connection.withClient { client throws(AdminError) in
                try await client.revokeDevice(id: id, reason: reason)
            }
            let why = device.revocationReason.map { ": \($0)" } ?? ""
            Console.print("\(device.id) revoked at \(device.revokedAt.map(Format.timestamp) ?? "-")\(why)")
        }
    }
}
