import ArgumentParser
import Foundation
import StarlingAdmin
import StarlingProtocol

/// `starling monitor …`: how a model's versions do in the field, and the rules that watch them.
struct MonitorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Watch models in the field: their figures, rules on them, and the alerts the rules fired.",
        subcommands: [Show.self, Rule.self, Alerts.self], defaultSubcommand: Show.self)
}

extension MonitorCommand {
    /// `starling monitor [show]`: the fleet's figures of a model's versions, window by window, from the
    /// monitor windows the devices send.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show how a model's versions do in the field: accuracy, confidence, escalation, latency, drift.",
            discussion: """
                Devices count every prediction in monitor windows (5 minutes by default) and send the closed \
                windows; this adds them up per version over --window, in total and window by window. Accuracy \
                needs feedback (POST /v1/feedback on the agent); drift needs a model made from a feature profile.
                """)

        @OptionGroup var connection: ConnectionOptions

        @Option(help: "The model.")
        var model: String

        @Option(help: "One version (default: every version with windows).")
        var version: Int?

        @Option(help: "How far back: 90s, 10m, 1h, 7d (1 minute to 30 days).")
        var window = "1h"

        @Flag(help: "Print JSON.")
        var json = false

        func validate() throws {
            guard let seconds = DurationText.seconds(window), MonitorReport.spanSeconds.contains(seconds) else {
                throw ValidationError("--window must be 1 minute to 30 days, such as 10m, 1h or 7d")
            }
            if let version, version < 1 { throw ValidationError("--version must be positive") }
        }

        func run() async throws {
            let seconds = DurationText.seconds(window) ?? 3600
            let report = try await connection.withClient { client throws(AdminError) in
                try await client.monitor(model: model, version: version, seconds: seconds)
            }
            if json {
                try Console.json(report)
                return
            }
            guard !report.versions.isEmpty else {
                Console.print("no monitor windows of \(model) in the last \(window)")
                return
            }
            for entry in report.versions {
                let total = entry.total
                Console.print(
                    "\(model)@\(entry.version): \(entry.devices) devices, \(total.requests) predictions, accuracy \(Self.share(total.accuracy)) on \(total.feedback) labelled"
                )
                var table = Table(header: [
                    "WINDOW", "DEVICES", "PREDICTIONS", "ACCURACY", "CONFIDENT", "PHASE 2", "P50 MS", "DRIFT",
                ])
                for point in entry.points {
                    let figures = point.figures
                    table.rows.append([
                        Self.time(figures.from), String(point.devices), String(figures.requests),
                        Self.share(figures.accuracy),
                        Self.share(Self.confident(figures.confidence)), Self.share(figures.phaseTwoRate),
                        figures.latencyP50Ms.map { String(format: "%.3f", $0) } ?? "-", Self.drift(figures.topDrift),
                    ])
                }
                Console.print(table.render())
            }
        }

        private static func share(_ value: Double?) -> String {
            value.map { String(format: "%.1f%%", $0 * 100) } ?? "-"
        }

        /// The share of answers whose top-class probability was at least 0.8.
        private static func confident(_ histogram: [Int]) -> Double? {
            let total = histogram.reduce(0, +)
            guard total > 0 else { return nil }
            return Double(histogram.suffix(2).reduce(0, +)) / Double(total)
        }

        /// The top drifting features, as `f3 PSI 0.41`.
        private static func drift(_ features: [MonitorReport.FeatureDrift]) -> String {
            features.prefix(3).map { String(format: "f%d PSI %.2f", $0.feature, $0.psi) }.joined(separator: ", ")
        }

        private static func time(_ seconds: Double) -> String {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime]
            return formatter.string(from: Date(timeIntervalSince1970: seconds))
        }
    }
}
