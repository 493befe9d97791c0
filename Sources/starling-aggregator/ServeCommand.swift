import ArgumentParser
import Foundation
import Logging
import StarlingAggregator
import StarlingCore
import StarlingDaemon
import StarlingTransport

/// `starling-aggregator serve`: prepares the data folder and runs the aggregator until SIGTERM/SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the aggregator until SIGTERM or SIGINT.")

    @Option(help: "The aggregator's data folder (keys, database, models).")
    var dataDir: String

    @Option(help: "HOST:PORT of the public listener (enrollment, admin API); port 0 lets the system choose.")
    var listen: ListenAddress = ListenAddress(host: "127.0.0.1", port: 8443)

    @Option(help: "HOST:PORT of the mutual-TLS device listener (default: the same host, the next port).")
    var deviceListen: ListenAddress?

    @Option(
        help: """
            HOST:PORT to serve GET /metrics on over plain HTTP without authentication, for Prometheus \
            scrapers (keep it on loopback or a network you trust); none unless given.
            """)
    var metricsListen: ListenAddress?

    @Option(help: "Seconds a round waits for devices and updates when its request names none.")
    var roundDeadline: Double = 120

    @Option(
        help:
            "The fewest devices a feature-statistics collection may summarise (a smaller cohort would reveal individual devices)."
    )
    var minStatisticsDevices: Int = 3

    @Option(help: "The most parameters a model created or imported may have (larger ones are refused).")
    var maxModelParameters: Int = ModelSizeLimit.standard.maximumParameters

    @Option(
        help:
            "The most connections each listener holds; beyond it a new connection replaces the oldest one that sent no request yet (default: a share of the descriptor limit; a larger value is lowered to what the descriptor limit allows)."
    )
    var maxConnections: Int?

    @Option(help: "An http:// or https:// URL that every monitor alert is posted to as JSON.")
    var alertWebhook: String?

    @Option(help: "Seconds between two judgements of the monitor rules.")
    var monitorRuleInterval: Double = 60

    @Option(
        help:
            "How devices' monitor windows arrive: per-device, secure (added up under SecAgg+), or auto (secure for versions that --secure-monitor-min-devices run)."
    )
    var monitorAggregation: String = "auto"

    @Option(help: "auto: the devices running a version from which its windows are added up under SecAgg+.")
    var secureMonitorMinDevices: Int = 20

    @Option(help: "Seconds between two secure collections of the windows.")
    var secureMonitorInterval: Double = 300

    @Option(
        help:
            "A PostgreSQL URL (postgres://user[:password]@host[:port]/database[?schema=name]) shared by aggregator replicas; without it the database is an SQLite file in the data folder."
    )
    var database: String?

    @Option(
        help:
            "The https:// URL devices are told to use for the device API when they enroll, when it is not this process's device listener (a load balancer in front of replicas)."
    )
    var deviceUrl: String?

    @Option(
        help:
            "Among replicas: the https:// URL of this process's public listener that the others forward leader-only admin calls to, when it is not the address it is bound to (replicas on other hosts, --listen 0.0.0.0:…)."
    )
    var publicUrl: String?

    @Flag(
        inversion: .prefixedNo,
        help:
            "Offer HTTP/2 on the device listener: each agent's watch, long polls and uploads share one connection, so a fleet needs half the descriptors and less memory, at more CPU a request; HTTP/1.1 alone without it."
    )
    var deviceHttp2 = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @Option(
        help:
            "A YAML file of options, each key an option name without its dashes (`listen: 127.0.0.1:8443`); options on the command line override it, and SIGHUP reloads it (the log level at once, the rest at the next start)."
    )
    var config: String?

    func validate() throws {
        try Self.requireURL(database, schemes: ["postgres", "postgresql"], option: "--database", "a postgres:// URL")
        try Self.requireURL(deviceUrl, schemes: ["https"], option: "--device-url", "an https:// URL")
        try Self.requireURL(publicUrl, schemes: ["https"], option: "--public-url", "an https:// URL")
        guard roundDeadline.isFinite, roundDeadline > 0 else {
            throw ValidationError("--round-deadline must be a positive number of seconds")
        }
        guard (1...10_000).contains(minStatisticsDevices) else {
            throw ValidationError("--min-statistics-devices must be between 1 and 10000")
        }
        guard maxModelParameters > 0 else {
            throw ValidationError("--max-model-parameters must be a positive number of parameters")
        }
        if let maxConnections, !(1...1_000_000).contains(maxConnections) {
            throw ValidationError("--max-connections must be between 1 and 1000000")
        }
        if let alertWebhook {
            guard let url = URL(string: alertWebhook), ["http", "https"].contains(url.scheme ?? ""), url.host != nil
            else { throw ValidationError("--alert-webhook must be an http:// or https:// URL") }
        }
        guard monitorRuleInterval.isFinite, (0.1...86_400).contains(monitorRuleInterval) else {
            throw ValidationError("--monitor-rule-interval must be 0.1 to 86400 seconds")
        }
        guard MonitorAggregation(rawValue: monitorAggregation) != nil else {
            throw ValidationError("--monitor-aggregation must be per-device, secure or auto")
        }
        guard (2...4096).contains(secureMonitorMinDevices) else {
            throw ValidationError("--secure-monitor-min-devices must be 2 to 4096")
        }
        guard secureMonitorInterval.isFinite, (1...86_400).contains(secureMonitorInterval) else {
            throw ValidationError("--secure-monitor-interval must be 1 to 86400 seconds")
        }
    }

    /// Refuses `value`, when given, unless it is a URL of one of `schemes` with a host, at most
    /// 2,048 bytes long; the error says `option` must be `described`.
    private static func requireURL(_ value: String?, schemes: [String], option: String, _ described: String) throws {
        guard let value else { return }
        guard value.utf8.count <= 2048, let url = URLComponents(string: value),
            schemes.contains(url.scheme ?? ""), url.host?.isEmpty == false
        else { throw ValidationError("\(option) must be \(described)") }
    }

    func run() async throws {
        let levels = LogLevelSwitch(logLevel)
        LoggingSystem.bootstrap { label in SwitchedLogHandler(label: label, levels: levels) }
        let logger = Logger(label: "starling-aggregator")
        let aggregator = try Aggregator(
            configuration: AggregatorConfiguration(
                dataDirectory: URL(fileURLWithPath: dataDir), listen: listen, deviceListen: deviceListen,
                metricsListen: metricsListen, defaultRoundDeadline: roundDeadline,
                minimumStatisticsDevices: minStatisticsDevices,
                modelSizeLimit: ModelSizeLimit(
                    maximumParameters: maxModelParameters, maximumLayers: ModelSizeLimit.standard.maximumLayers),
                connectionLimits: maxConnections.map { ConnectionLimits.standard(maximumConnections: $0) },
                alertWebhook: alertWebhook, monitorRuleInterval: .milliseconds(Int(monitorRuleInterval * 1000)),
                monitorAggregation: MonitorAggregation(rawValue: monitorAggregation) ?? .auto,
                secureMonitorMinimumDevices: secureMonitorMinDevices,
                secureMonitorInterval: .milliseconds(Int(secureMonitorInterval * 1000)), databaseURL: database,
                advertisedDeviceURL: deviceUrl, advertisedPublicURL: publicUrl, deviceHTTP2: deviceHttp2),
            logger: logger,
            announce: { line in
                print(line)
                fflush(nil)
            })
        // Ready under systemd once every listener is bound.
        let endpoints = aggregator.endpoints
        try await Daemon.run(aggregator.services, config: config, levels: levels, logger: logger) {
            "listening on \(await endpoints.bound().url)"
        }
    }
}

extension ListenAddress: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
