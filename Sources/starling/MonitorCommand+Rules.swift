import ArgumentParser
import Foundation
import StarlingAdmin
import StarlingProtocol

extension MonitorCommand {
    /// `starling monitor rule set|list`.
    struct Rule: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rule", abstract: "Set and list the rules that watch a model's versions.",
            subcommands: [Set.self, List.self])

        struct Set: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Create or replace a rule: when its figure breaks the threshold over --for, it acts.",
                discussion: """
                    Give exactly one of --max-drift (the largest feature PSI), --min-accuracy (on feedback) and \
                    --max-phase2-rate. alert records an alert and posts it to the aggregator's --alert-webhook; \
                    rollback also rolls back the version's live deployments; retrain also starts a run from the \
                    version on the devices whose own windows breached (--retrain-rounds) and rolls the version it \
                    makes out by canary (--waves, --bake, --max-failure-rate, --max-accuracy-drop).
                    """)

            @OptionGroup var connection: ConnectionOptions

            @Option(help: "The model the rule watches.")
            var model: String

            @Option(help: "The rule's name (setting it again replaces it).")
            var name: String

            @Option(help: "Fire when a feature's PSI exceeds this.")
            var maxDrift: Double?

            @Option(help: "Fire when accuracy on feedback falls below this share.")
            var minAccuracy: Double?

            @Option(name: .customLong("max-phase2-rate"), help: "Fire when the share sent to phase two exceeds this.")
            var maxPhaseTwoRate: Double?

            @Option(name: .customLong("for"), help: "The span of windows judged: 10m, 30m, 1h (1 minute to 30 days).")
            var span = "30m"

            @Option(
                help:
                    "The fewest inputs (feedback for --min-accuracy) the span must hold before it is judged (default 200)."
            )
            var minSamples: Int?

            @Option(help: "alert, rollback or retrain.")
            var action: String = "alert"

            @Option(help: "retrain: the rounds of the retraining run (default 3).")
            var retrainRounds: Int?

            @Option(help: "retrain: the canary's cumulative wave percentages, e.g. 5,25,100 (the default).")
            var waves: String?

            @Option(help: "retrain: how long each canary wave bakes, e.g. 90s, 10m (default 10m).")
            var bake: String?

            @Option(help: "retrain: the share of devices that may fail before the canary halts (default 0.05).")
            var maxFailureRate: Double?

            @Option(help: "retrain: how far smoke-test accuracy may fall below the replaced version (default 0.05).")
            var maxAccuracyDrop: Double?

            func validate() throws {
                guard [maxDrift, minAccuracy, maxPhaseTwoRate].compactMap({ $0 }).count == 1 else {
                    throw ValidationError("give exactly one of --max-drift, --min-accuracy and --max-phase2-rate")
                }
                guard let seconds = DurationText.seconds(span), MonitorReport.spanSeconds.contains(seconds) else {
                    throw ValidationError("--for must be 1 minute to 30 days, such as 30m")
                }
                if let minSamples, !SetMonitorRuleRequest.minSamplesRange.contains(minSamples) {
                    throw ValidationError("--min-samples must be 1 to 10000000")
                }
                guard let parsed = MonitorAction(rawValue: action) else {
                    throw ValidationError("--action must be alert, rollback or retrain")
                }
                if parsed != .retrain, try retrainSettings() != nil {
                    throw ValidationError(
                        "--retrain-rounds, --waves, --bake, --max-failure-rate and --max-accuracy-drop need --action retrain"
                    )
                }
            }

            /// The retraining settings given; nil when none is.
            private func retrainSettings() throws -> RetrainSettings? {
                guard
                    retrainRounds != nil || waves != nil || bake != nil || maxFailureRate != nil
                        || maxAccuracyDrop != nil
                else { return nil }
                return RetrainSettings(
                    rounds: retrainRounds, waves: try waves.map(CanaryText.waves),
                    bakeSeconds: try bake.map(CanaryText.bake), maxFailureRate: maxFailureRate,
                    maxAccuracyDrop: maxAccuracyDrop)
            }

            func run() async throws {
                let (condition, threshold): (MonitorCondition, Double) =
                    if let maxDrift { (.maxDrift, maxDrift) } else if let minAccuracy {
                        (.minAccuracy, minAccuracy)
                    } else { (.maxPhaseTwoRate, maxPhaseTwoRate ?? 0) }
                let request = SetMonitorRuleRequest(
                    model: model, name: name, condition: condition, threshold: threshold,
                    forSeconds: DurationText.seconds(span) ?? 1800, action: MonitorAction(rawValue: action) ?? .alert,
                    retrain: try retrainSettings(), minSamples: minSamples)
                let rule = try await connection.withClient { client throws(AdminError) in
                    try await client.setMonitorRule(request)
                }
                Console.print(
                    "rule \(rule.rule.name) on \(rule.rule.model): \(condition.rawValue) \(threshold) over \(span) once it holds \(rule.rule.samplesNeeded), \(rule.rule.action.rawValue)"
                )
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List the monitor rules.")

            @OptionGroup var connection: ConnectionOptions

            @Flag(help: "Print JSON.")
            var json = false

            func run() async throws {
                let rules = try await connection.withClient { client throws(AdminError) in
                    try await client.monitorRules()
                }
                if json {
                    try Console.json(MonitorRuleList(rules: rules))
                    return
                }
                var table = Table(header: ["MODEL", "RULE", "CONDITION", "THRESHOLD", "FOR", "MIN SAMPLES", "ACTION"])
                for rule in rules.map(\.rule) {
                    table.rows.append([
                        rule.model, rule.name, rule.condition.rawValue, String(rule.threshold),
                        "\(Int(rule.forSeconds))s", String(rule.samplesNeeded), rule.action.rawValue,
                    ])
                }
                Console.print(table.render())
            }
        }
    }

    /// `starling monitor alerts`.
    struct Alerts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the alerts the monitor rules fired, newest first.")

        @OptionGroup var connection: ConnectionOptions

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            let alerts = try await connection.withClient { client throws(AdminError) in try await client.monitorAlerts()
            }
            if json {
                try Console.json(MonitorAlertList(alerts: alerts))
                return
            }
            var table = Table(header: [
                "ID", "FIRED", "MODEL", "RULE", "VALUE", "THRESHOLD", "STATE", "RETRAIN", "OUTCOME",
            ])
            let formatter = ISO8601DateFormatter()
            for alert in alerts {
                table.rows.append([
                    String(alert.id), formatter.string(from: alert.firedAt), "\(alert.model)@\(alert.version)",
                    alert.rule, String(format: "%.3f", alert.value), String(alert.threshold),
                    alert.resolvedAt == nil ? "firing" : "resolved", alert.retrain?.state.rawValue ?? "-",
                    alert.outcome,
                ])
            }
            Console.print(table.render())
        }
    }
}
