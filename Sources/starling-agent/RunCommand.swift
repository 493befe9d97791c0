import ArgumentParser
import Logging
import StarlingAgent
import StarlingDaemon
import StarlingProtocol

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `starling-agent run`: enroll once, then serve the local API and follow the aggregator. The
/// enrollment token comes from `--enroll-token-file`, `--enroll-token` or `STARLING_ENROLL_TOKEN`.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run the agent daemon until SIGTERM or SIGINT.")

    @Option(help: "The aggregator's public URL (used to enroll).")
    var aggregator: String

    @Option(help: "The aggregator CA certificate (PEM) to trust when enrolling.")
    var ca: String

    @Option(help: "A file holding the enrollment token; read only until the device has an identity.")
    var enrollTokenFile: String?

    @Option(
        help: ArgumentHelp(
            "The enrollment token itself; visible in ps to every user while the agent runs.",
            discussion: "Prefer --enroll-token-file or the STARLING_ENROLL_TOKEN environment variable."))
    var enrollToken: String?

    @Option(help: "Where the agent keeps its identity, samples and models.")
    var dataDir: String

    @Option(help: "Local API address, HOST:PORT (port 0 lets the system choose).")
    var api: String = "127.0.0.1:0"

    @Option(help: "Also serve the local API on this Unix domain socket.")
    var socket: String?

    @Option(
        name: .customLong("tag"),
        help:
            "A tag the device sets on itself, device.KEY=VALUE (repeatable); operators give other tags through the enrollment token."
    )
    var tags: [String] = []

    @Option(help: "Phase-two refinement deadline in milliseconds.")
    var refineTimeoutMs: Int = 300

    @Option(help: "Lifetime privacy budget: the ε this device's private training may spend in all.")
    var privacyBudgetEpsilon: Double?

    @Option(help: "The δ of the privacy budget.")
    var privacyBudgetDelta: Double = 1e-5

    @Option(help: "Seed of the reconnect jitter.")
    var seed: UInt64?

    @Flag(inversion: .prefixedNo, help: "Keep keyed predictions for feedback and monitor each installed version.")
    var monitoring = true

    @Option(help: "Seconds a keyed prediction waits for its feedback (60 to 7,776,000).")
    var predictionRetention: Double = 86_400

    @Option(help: "The most keyed predictions kept; past it the oldest go first.")
    var predictionLimit: Int = 100_000

    @Option(help: "The length of a monitor window, in seconds.")
    var monitorWindow: Double = 300

    @Option(help: "The most closed monitor windows kept on disk; past it the oldest go first.")
    var monitorWindowLimit: Int = 576

    @Option(help: "Seconds between reports of closed monitor windows to the aggregator; 0 keeps them on the device.")
    var monitorReportInterval: Double = 60

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @Option(
        help:
            "A YAML file of options, each key an option name without its dashes (`listen: 127.0.0.1:8443`); options on the command line override it, and SIGHUP reloads it (the log level at once, the rest at the next start)."
    )
    var config: String?

    private var monitorSettings: MonitorSettings {
        MonitorSettings(
            enabled: monitoring, retentionSeconds: predictionRetention, predictionLimit: predictionLimit,
            windowSeconds: monitorWindow, windowLimit: monitorWindowLimit, reportSeconds: monitorReportInterval)
    }

    func validate() throws {
        if enrollToken != nil, enrollTokenFile != nil {
            throw ValidationError("give the enrollment token one way: --enroll-token-file or --enroll-token, not both.")
        }
        _ = try apiAddress()
        _ = try parsedTags()
        guard refineTimeoutMs > 0 else { throw ValidationError("--refine-timeout-ms must be positive.") }
        if let privacyBudgetEpsilon {
            guard privacyBudgetEpsilon > 0, privacyBudgetEpsilon.isFinite else {
                throw ValidationError("--privacy-budget-epsilon must be a positive number.")
            }
        }
        guard privacyBudgetDelta > 0, privacyBudgetDelta < 1 else {
            throw ValidationError("--privacy-budget-delta must be between 0 and 1.")
        }
        if let problem = monitorSettings.problem() { throw ValidationError("\(problem).") }
    }

    func run() async throws {
        let levels = LogLevelSwitch(logLevel)
        LoggingSystem.bootstrap { label in SwitchedLogHandler(label: label, levels: levels) }
        let logger = Logger(label: "starling-agent")
        let (host, port) = try apiAddress()
        let configuration = AgentConfiguration(
            aggregatorURL: aggregator, caFile: URL(fileURLWithPath: ca), enrollToken: tokenSource(),
            dataDirectory: URL(fileURLWithPath: dataDir), apiHost: host, apiPort: port, socketPath: socket,
            tags: try parsedTags(), refineTimeout: .milliseconds(refineTimeoutMs), seed: seed,
            privacyBudget: privacyBudgetEpsilon.map { PrivacyBudget(epsilon: $0, delta: privacyBudgetDelta) },
            monitoring: monitorSettings)
        let runtime: AgentRuntime
        do {
            runtime = try await AgentRuntime.start(configuration, logger: logger)
        } catch {
            throw CommandFailure(error.description)
        }
        // Unbuffered, so a supervisor reading a pipe sees the line at once.
        let line = Array("starling-agent listening on \(runtime.apiURL)\n".utf8)
        _ = line.withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
        // Enrolled and serving: ready at once under systemd.
        let url = runtime.apiURL
        try await Daemon.run(runtime.services, config: config, levels: levels, logger: logger) { "serving on \(url)" }
    }

    /// Where the enrollment token is: the file, the flag, or else the environment variable.
    private func tokenSource() -> EnrollmentTokenSource {
        if let enrollTokenFile { return .file(URL(fileURLWithPath: enrollTokenFile)) }
        if let enrollToken { return .text(enrollToken) }
        return .environment(variable: EnrollmentTokenSource.defaultVariable)
    }

    private func apiAddress() throws -> (String, Int) {
        guard let colon = api.lastIndex(of: ":"), let port = Int(api[api.index(after: colon)...]),
            (0...65535).contains(port)
        else {
            throw ValidationError("--api must be HOST:PORT, e.g. 127.0.0.1:8080.")
        }
        let host = String(api[..<colon].filter { $0 != "[" && $0 != "]" })
        guard !host.isEmpty else { throw ValidationError("--api must be HOST:PORT, e.g. 127.0.0.1:8080.") }
        return (host, port)
    }

    private func parsedTags() throws -> [Tag] {
        try tags.map { text in
            let tag: Tag
            do {
                tag = try Tag(parsing: text)
            } catch {
                throw ValidationError("\(error)")
            }
            guard tag.isDeviceReported else {
                throw ValidationError(
                    "--tag \(tag) must start with '\(Tag.devicePrefix)': a device sets only tags about itself; "
                        + "give other tags with the enrollment token (starling token create --tag).")
            }
            return tag
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
