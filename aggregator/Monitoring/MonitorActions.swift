import Foundation
import StarlingProtocol

/// What a fired monitor rule does beyond recording its alert: `rollback` rolls the version's live
/// deployments back; `retrain` starts a run from the version on the devices whose own windows
/// breached, and once that run has made a version, rolls it out by canary with health gates to the
/// devices the breached version was deployed to.
///
/// A version that a `retrain` of the same rule made is not retrained again: it keeps the drift
/// reference of the version it came from, so inputs that moved for good would retrain it over and
/// over; the alert says so, and a fresh profile is the way out.
struct MonitorActions: Sendable {
    let monitoring: FleetMonitoring
    let rollouts: Rollouts
    let runs: RunCoordinator
    let runStore: RunStore
    let rules: MonitorRuleStore
    let registry: DeviceRegistry

    /// Carries out `rule`'s action for `alert` (stored, so it has its id); returns what it did.
    func act(on rule: SetMonitorRuleRequest, version: Int, value: Double, alert: inout MonitorAlertRecord) async
        -> [String]
    {
        switch rule.action {
        case .alert:
            return []
        case .rollback:
            let live = await liveDeployments(model: rule.model, version: version)
            var outcome: [String] = []
            for deployment in live {
                do {
                    _ = try await rollouts.act("rollback", id: deployment.id)
                    outcome.append("rolled back \(deployment.id)")
                } catch {
                    outcome.append("cannot roll back \(deployment.id): \(error.message)")
                }
            }
            return live.isEmpty ? ["no live deployment of the version to roll back"] : outcome
        case .retrain:
            let (retrain, line) = await retrain(rule, version: version, value: value, alert: alert.id ?? 0)
            alert.retrain = retrain
            return [line]
        }
    }

    /// Moves an alert's retraining on once its run has ended: the run's last version rolls out by
    /// canary, or the retraining failed. Returns what happened; nil while the run goes on.
    func followRetraining(of alert: inout MonitorAlertRecord) async throws(APIError) -> String? {
        guard var retrain = alert.retrain, retrain.state == .training, let runId = retrain.runId else { return nil }
        let run = try await runStore.info(id: runId)
        guard run.state.isFinal else { return nil }
        defer { alert.retrain = retrain }
        guard run.state == .completed, let made = run.rounds.compactMap(\.producedVersion).last else {
            retrain.state = .failed
            return "retraining run \(runId) made no version: \(run.failureReason ?? run.state.rawValue)"
        }
        retrain.version = made
        let settings = try await rules.rule(model: alert.model, name: alert.rule)?.retrain ?? RetrainSettings()
        let selector = await liveDeployments(model: alert.model, version: alert.version).first?.selector ?? .all
        do {
            let deployment = try await rollouts.create(
                settings.canary(model: alert.model, version: made, selector: selector))
            retrain.deploymentId = deployment.id
            retrain.state = .rollingOut
            return "version \(made) rolls out to \(selector) in canary \(deployment.id)"
        } catch {
            retrain.state = .failed
            return "cannot roll version \(made) out: \(error.message)"
        }
    }

    /// Starts the retraining run on the devices whose own windows over the rule's span break its
    /// threshold on at least the rule's `min_samples` (every device that reported the version when
    /// none does alone, every device running it when the windows were summed under SecAgg+).
    private func retrain(_ rule: SetMonitorRuleRequest, version: Int, value: Double, alert: Int64) async
        -> (AlertRetrain, String)
    {
        var devices: [String] = []
        do {
            let made = try await monitoring.catalog.version(of: rule.model, version)
            if made.lineage.trigger?.rule == rule.name {
                return (
                    AlertRetrain(devices: [], state: .failed),
                    "not retrained: version \(version) was made by this rule's retraining and keeps its drift reference; collect a new profile"
                )
            }
            let figures = try await monitoring.deviceFigures(
                model: rule.model, version: version, seconds: rule.forSeconds)
            let breaching = figures.filter { _, figures in
                MonitorRuleService.judgedFigure(rule, of: figures).map { MonitorRuleService.breaches($0, rule) }
                    ?? false
            }
            // Without per-device windows (summed under SecAgg+), every device running the version.
            let running = registry.activeDevices().filter { $0.runningModel == "\(rule.model)@\(version)" }.map(\.id)
            let chosen = breaching.isEmpty ? (figures.isEmpty ? running : Array(figures.keys)) : Array(breaching.keys)
            devices = Array(chosen.sorted().prefix(10_000))
            let trigger = RetrainTrigger(
                alertId: alert, rule: rule.name, condition: rule.condition, threshold: rule.threshold, value: value,
                version: version, devices: devices.count)
            let run = try await runs.startRetrain(
                model: rule.model, version: version, devices: devices,
                rounds: rule.retrain?.rounds ?? RetrainSettings.defaultRounds, trigger: trigger)
            let whose = breaching.isEmpty ? "every reporting device (none breached alone)" : "the devices that breached"
            return (
                AlertRetrain(devices: devices, state: .training, runId: run.id),
                "retraining from version \(version) on \(devices.count) devices, \(whose), in run \(run.id)"
            )
        } catch {
            return (AlertRetrain(devices: devices, state: .failed), "cannot retrain: \(error.message)")
        }
    }

    /// The deployments of `model`@`version` that still hold devices, newest first.
    private func liveDeployments(model: String, version: Int) async -> [DeploymentInfo] {
        await rollouts.recent(limit: 1_000).filter {
            $0.model == model && $0.version == version && [.running, .paused, .halted, .completed].contains($0.state)
        }
    }
}
