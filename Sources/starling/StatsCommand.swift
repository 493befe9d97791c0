import ArgumentParser
import StarlingAdmin
import StarlingCore
import StarlingProtocol

/// `starling stats …`: federated feature statistics (feature profiles).
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Collect and show fleet feature profiles.",
        subcommands: [Collect.self, Show.self, List.self])

    struct Collect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Collect a feature profile: each device summarises its training samples, combined under SecAgg+.",
            discussion: """
                Each device sends per feature a count, a sum, a sum of squares and a histogram on a fixed \
                log-spaced grid; the aggregator learns only their fleet totals. Minimum and maximum are the \
                edges of the outermost non-empty histogram buckets, so no device's exact extreme is revealed.
                """)

        @OptionGroup var connection: ConnectionOptions

        @Option(help: "The profile's name (a new collection under an existing name makes its next version).")
        var name: String

        @Option(help: "Describe the input features of this model.")
        var featuresFrom: String?

        @Option(help: "Or: the feature width.")
        var width: Int?

        @OptionGroup var cohort: CohortOptions

        @Option(help: "The fewest devices whose statistics make a profile (default: the aggregator's floor).")
        var minDevices: Int?

        func validate() throws {
            guard (width == nil) != (featuresFrom == nil) else {
                throw ValidationError("give exactly one of --features-from MODEL and --width D")
            }
            if let width, width < 1 { throw ValidationError("--width must be positive") }
            if let minDevices, minDevices < 1 { throw ValidationError("--min-devices must be positive") }
        }

        func run() async throws {
            let request = CollectStatisticsRequest(
                name: name, width: width, featuresFrom: featuresFrom, selector: try cohort.selector,
                clients: cohort.clients,
                minDevices: minDevices, deadlineSeconds: cohort.deadline, secureAggregation: cohort.secagg)
            let (run, profile) = try await connection.withClient { client throws(AdminError) in
                let started = try await client.collectStatistics(request)
                Console.print("started \(started.id)" + (started.secureAggregation ? " with secure aggregation" : ""))
                let final = try await RunWatcher(client: client, runId: started.id).follow {
                    _, _ throws(AdminError) in
                }
                guard final.state == .completed, let reference = final.profile else {
                    return (final, nil as FeatureProfile?)
                }
                return (final, try await client.profile(name: reference.name, version: reference.version))
            }
            guard let profile else {
                Console.error("\(run.id) \(run.state.rawValue): \(run.failureReason ?? "no profile was made")")
                throw ExitCode(1)
            }
            Console.print(
                "profile \(profile.name) version \(profile.version): \(profile.width) features over \(profile.samples) samples of \(profile.devices) devices"
            )
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a feature profile per feature.")

        @OptionGroup var connection: ConnectionOptions

        @Argument(help: "The profile's name.")
        var name: String

        @Option(help: "The version (default: the newest).")
        var version: Int?

        @Flag(help: "Print the whole profile as JSON.")
        var json = false

        func run() async throws {
            let profile = try await connection.withClient { client throws(AdminError) in
                try await client.profile(name: name, version: version)
            }
            if json {
                try Console.json(profile)
                return
            }
            Console.print(
                "\(profile.name) version \(profile.version): \(profile.width) features, \(profile.samples) samples, \(profile.devices) devices"
            )
            let automatic = Preprocessing.auto(from: profile)
            var table = Table(header: ["FEATURE", "MEAN", "STD", "MIN", "P1", "P50", "P99", "MAX", "ZERO", "AUTO"])
            for (index, feature) in profile.features.enumerated() {
                table.rows.append([
                    String(index), Format.compact(feature.mean), Format.compact(feature.std),
                    Format.compact(feature.min),
                    Format.compact(feature.quantiles.p1), Format.compact(feature.quantiles.p50),
                    Format.compact(feature.quantiles.p99), Format.compact(feature.max),
                    Format.fixed(feature.zeroFraction, digits: 2), automatic.transforms[index].name,
                ])
            }
            Console.print(table.render())
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List feature profiles.")

        @OptionGroup var connection: ConnectionOptions

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            let profiles = try await connection.withClient { client throws(AdminError) in try await client.profiles() }
            if json {
                try Console.json(ProfileList(profiles: profiles))
                return
            }
            var table = Table(header: ["PROFILE", "VERSION", "WIDTH", "DEVICES", "SAMPLES", "SECURE", "RUN"])
            for profile in profiles {
                table.rows.append([
                    profile.name, String(profile.version), String(profile.width), String(profile.devices),
                    String(profile.samples), profile.secureAggregation ? "yes" : "no", profile.runId,
                ])
            }
            Console.print(table.render())
        }
    }
}

/// A `--to` selector, or a validation error naming what is wrong with it.
func parseSelector(_ text: String) throws -> DeviceSelector {
    do throws(TagError) {
        return try DeviceSelector(parsing: text)
    } catch {
        throw ValidationError(error.description)
    }
}
