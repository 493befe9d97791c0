import Foundation
import Logging
import NIOSSL
import ServiceLifecycle
import StarlingProtocol
import StarlingTransport

/// Judges every monitor rule against the fleet's windows every `interval`: per version of the
/// rule's model with windows in the rule's span, the figure it watches over that span (the largest
/// feature PSI, the accuracy on feedback, the phase-two rate). A breach with no alert open for the
/// version fires one: it is recorded, acted on (``MonitorActions``) and sent to the webhook when one
/// is set. An open alert whose condition no longer holds is resolved. A version with no figure (no
/// feedback for an accuracy rule), or fewer observations in the span than the rule's
/// `min_samples`, is not judged. Each pass first carries retraining on: a
/// retraining run that ended has its version rolled out by canary, or its failure recorded.
struct MonitorRuleService: Service {
    let rules: MonitorRuleStore
    let monitoring: FleetMonitoring
    let actions: MonitorActions
    /// Where alerts are posted as JSON; nil records them only.
    let webhook: String?
    let interval: Duration
    let clock: @Sendable () -> Date
    let logger: Logger

    func run() async throws {
        let client = webhook.map { url in
            StarlingHTTPClient(baseURL: url, tls: url.hasPrefix("https") ? .makeClientConfiguration() : nil)
        }
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            guard !Task.isShuttingDownGracefully else { break }
            do {
                try await judge(client: client)
            } catch {
                logger.warning("cannot judge the monitor rules", metadata: ["reason": "\(error)"])
            }
        }
        await client?.shutdown()
    }

    /// One pass: retraining carried on, then every rule judged.
    func judge(client: StarlingHTTPClient?) async throws(APIError) {
        for var alert in try await rules.retraining() {
            guard let line = try await actions.followRetraining(of: &alert) else { continue }
            alert.outcome += "; " + line
            try await rules.update(alert)
            logger.notice("monitor retraining", metadata: ["alert": "\(alert.id ?? 0)", "outcome": "\(line)"])
        }
        for stored in try await rules.rules() {
            let rule = stored.rule
            let report = try await monitoring.report(model: rule.model, version: nil, seconds: rule.forSeconds)
            for version in report.versions {
                guard let value = Self.judgedFigure(rule, of: version.total) else { continue }
                let breached = Self.breaches(value, rule)
                let open = try await rules.openAlert(model: rule.model, version: version.version, rule: rule.name)
                if breached, open == nil {
                    try await fire(rule, version: version.version, value: value, client: client)
                } else if !breached, var open {
                    open.resolvedAt = clock()
                    try await rules.update(open)
                    logger.notice(
                        "monitor alert resolved", metadata: ["rule": "\(rule.name)", "version": "\(version.version)"])
                }
            }
        }
    }

    /// The figure `rule` watches in `figures`; nil when there is none, or when it stands on fewer
    /// observations than the rule waits for.
    static func judgedFigure(_ rule: SetMonitorRuleRequest, of figures: MonitorReport.Version) -> Double? {
        let observations = rule.condition == .minAccuracy ? figures.feedback : figures.requests
        guard observations >= rule.samplesNeeded else { return nil }
        return figure(rule.condition, of: figures)
    }

    /// The figure `condition` watches in a version's total; nil when there is none to judge.
    private static func figure(_ condition: MonitorCondition, of figures: MonitorReport.Version) -> Double? {
        switch condition {
        case .maxDrift: figures.topDrift.first?.psi
        case .minAccuracy: figures.accuracy
        case .maxPhaseTwoRate: figures.phaseTwoRate
        }
    }

    /// Whether `value` breaks `rule`'s threshold.
    static func breaches(_ value: Double, _ rule: SetMonitorRuleRequest) -> Bool {
        rule.condition == .minAccuracy ? value < rule.threshold : value > rule.threshold
    }

    private func fire(_ rule: SetMonitorRuleRequest, version: Int, value: Double, client: StarlingHTTPClient?)
        async throws(APIError)
    {
        var alert = try await rules.insert(
            MonitorAlertRecord(
                id: nil, model: rule.model, version: version, rule: rule.name, condition: rule.condition,
                threshold: rule.threshold, value: value, action: rule.action, outcome: "", firedAt: clock(),
                resolvedAt: nil))
        var outcome = await actions.act(on: rule, version: version, value: value, alert: &alert)
        alert.outcome = outcome.joined(separator: "; ")
        logger.warning(
            "monitor alert",
            metadata: [
                "rule": "\(rule.name)", "model": "\(rule.model)", "version": "\(version)", "value": "\(value)",
                "outcome": "\(alert.outcome)",
            ])
        if let client {
            do {
                _ = try await client.postJSON("", json: alert.alert, timeout: .seconds(5))
                outcome.append("webhook answered")
            } catch {
                outcome.append("webhook failed: \(error)")
            }
            alert.outcome = outcome.joined(separator: "; ")
        }
        try await rules.update(alert)
    }
}

extension MonitorRuleService: CustomStringConvertible {
    var description: String { "monitor-rules" }
}
