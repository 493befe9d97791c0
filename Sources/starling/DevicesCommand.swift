import ArgumentParser
import StarlingAdmin
import StarlingProtocol

/// `starling devices list`: the fleet as the aggregator sees it.
struct DevicesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices", abstract: "Inspect enrolled devices.", subcommands: [List.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List enrolled devices.")

        @OptionGroup var connection: ConnectionOptions

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            let devices = try await connection.withClient { client throws(AdminError) in try await client.devices() }
            if json {
                try Console.json(DeviceList(devices: devices))
                return
            }
            var table = Table(header: ["DEVICE", "ONLINE", "SAMPLES", "MODEL", "TAGS"])
            for device in devices {
                table.rows.append([
                    device.id, device.online ? "yes" : "no", String(device.sampleCount),
                    device.runningModel ?? "-", device.tags.map(\.description).joined(separator: ","),
                ])
            }
            Console.print(table.render())
        }
    }
}
