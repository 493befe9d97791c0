import Foundation
import Logging
import ServiceLifecycle
import StarlingProtocol
import StarlingStorage

/// Experiments: deployments that try candidate versions beside the versions devices run (shadow,
/// A/B, bandit) instead of rolling them out. A running experiment reaches every device its selector
/// picks that runs a version of its model; the newest such experiment wins. Devices download and
/// verify the candidates as they would a deployed version, record their windows as the experiment's
/// arms, and send them with their other windows; ``ExperimentFigures`` turns those into the arms'
/// figures and a verdict. `promote` ships the winner as a normal rollout; `abort` ends it.
///
/// As a service it refreshes the bandits' fleet priors from the aggregated counts every
/// `refreshInterval`, and wakes the devices' watches when they changed.
actor Experiments: Service {
    let engine: any StorageEngine
    let catalog: ModelCatalog
    let monitors: MonitorStore
    let rollouts: Rollouts
    let devices: DeviceRegistry
    let broadcaster: RevisionBroadcaster
    let clock: @Sendable () -> Date
    let refreshInterval: Duration
    let logger: Logger
    /// Oldest first.
    private var experiments: [ExperimentRecord]
    /// The running bandits' fleet priors, by experiment.
    private var priors: [String: [ArmPrior]] = [:]

    init(
        engine: any StorageEngine, catalog: ModelCatalog, monitors: MonitorStore, rollouts: Rollouts,
        devices: DeviceRegistry, broadcaster: RevisionBroadcaster, clock: @escaping @Sendable () -> Date,
        refreshInterval: Duration, logger: Logger
    ) throws {
        self.engine = engine
        self.catalog = catalog
        self.monitors = monitors
        self.rollouts = rollouts
        self.devices = devices
        self.broadcaster = broadcaster
        self.clock = clock
        self.refreshInterval = refreshInterval
        self.logger = logger
        experiments = try engine.readBlocking { db in
            try db.fetchAll(ExperimentRecord.self, "SELECT * FROM experiments ORDER BY createdAt, id")
        }
    }

    func run() async throws {
        for experiment in experiments where experiment.state == .running {
            for version in experiment.candidates { _ = try? await catalog.version(of: experiment.model, version) }
        }
        await PeriodicTicks.run(every: refreshInterval) { await self.refreshPriors() }
    }

    /// Starts an experiment of `request.version` (and `arms`) on the devices `selector` picks.
    func create(_ request: CreateDeploymentRequest) async throws(APIError) -> DeploymentInfo {
        guard let mode = request.mode else { throw Self.invalid("an experiment needs a mode") }
        guard let version = request.version, request.alias == nil else {
            throw Self.invalid("an experiment names a version, not an alias")
        }
        guard request.strategy == nil, request.waves == nil, request.bakeSeconds == nil else {
            throw Self.invalid("strategy, waves and bake_seconds are for rollouts; promote takes them")
        }
        let candidates = [version] + (request.arms ?? [])
        guard Set(candidates).count == candidates.count, candidates.count <= 8 else {
            throw Self.invalid("the candidates must be distinct, at most 8")
        }
        guard request.arms == nil || mode == .bandit else { throw Self.invalid("arms are for mode bandit") }
        guard request.split == nil || mode == .ab else { throw Self.invalid("split is for mode ab") }
        let split = mode == .ab ? request.split ?? 50 : nil
        if let split, !(split.isFinite && split > 0 && split < 100) {
            throw Self.invalid("split is a percentage in (0, 100)")
        }
        let minFeedback = request.minFeedback ?? 100
        guard (1...1_000_000).contains(minFeedback) else { throw Self.invalid("min_feedback must be 1…1000000") }
        for candidate in candidates { _ = try await catalog.version(of: request.model, candidate) }
        let record = ExperimentRecord(
            id: Secrets.identifier(prefix: "exp-"), model: request.model, mode: mode, selector: request.selector,
            candidates: candidates, split: split, minFeedback: minFeedback, state: .running, reason: nil,
            promotedTo: nil, createdAt: clock(), endedAt: nil)
        try await engine.writing { db in try db.insert(record) }
        experiments.append(record)
        await broadcaster.bump()
        logger.info(
            "experiment started",
            metadata: ["experiment": "\(record.id)", "mode": "\(mode.rawValue)", "candidates": "\(candidates)"])
        return try await info(record)
    }

    /// Whether `id` names an experiment rather than a rollout.
    static func isExperiment(_ id: String) -> Bool { id.hasPrefix("exp-") }

    func info(id: String) async throws(APIError) -> DeploymentInfo { try await info(try record(id)) }

    /// The experiment's history as deployment events.
    func events(id: String) throws(APIError) -> DeploymentEventList {
        let record = try record(id)
        var events = [
            DeploymentEvent(
                at: record.createdAt,
                message: "\(record.mode.rawValue) experiment of \(record.model) versions \(record.candidates) started")
        ]
        if let ended = record.endedAt { events.append(DeploymentEvent(at: ended, message: record.reason ?? "ended")) }
        return DeploymentEventList(events: events)
    }

    /// `promote` ships the winner (the shadow; the A/B or bandit arm the verdict names) as a rollout
    /// to the experiment's selector and ends the experiment; `abort` ends it. 409 otherwise.
    func act(_ action: String, id: String, promotion: PromoteRequest) async throws(APIError) -> DeploymentInfo {
        let record = try record(id)
        guard record.state == .running else {
            throw .conflict(.deploymentState, "experiment \(id) has ended (\(record.state.rawValue))")
        }
        switch action {
        case "abort":
            try await end(id, state: .aborted, reason: "aborted by an operator", promotedTo: nil)
        case "promote":
            let report = ExperimentFigures.report(record, windows: try await monitors.windows(ofExperiment: id))
            let winner: Int
            if record.mode == .shadow, let candidate = record.candidates.first {
                winner = candidate
            } else if let verdict = report.verdict, verdict.winner == "candidate" {
                winner = verdict.candidate
            } else {
                throw .conflict(
                    .deploymentState,
                    "experiment \(id) has no winning candidate to promote: \(report.verdict?.summary ?? "no verdict")")
            }
            let rollout = try await rollouts.create(
                CreateDeploymentRequest(
                    model: record.model, version: winner, selector: record.selector, strategy: promotion.strategy,
                    waves: promotion.waves, bakeSeconds: promotion.bakeSeconds))
            try await end(
                id, state: .completed, reason: "promoted version \(winner) in \(rollout.id)", promotedTo: rollout.id)
        default:
            throw .conflict(.deploymentState, "an experiment can be promoted or aborted, not '\(action.prefix(32))'")
        }
        return try await info(id: id)
    }

    /// The experiment `device` takes part in: the newest running one whose selector picks it, when it
    /// runs a version of the experiment's model that is not one of the candidates.
    func desiredExperiment(for device: Device) -> DesiredExperiment? {
        guard let running = device.runningModel.flatMap(VersionTag.init) else { return nil }
        for experiment in experiments.reversed()
        where experiment.state == .running && experiment.model == running.model
            && experiment.selector.matches(device.tags) && !experiment.candidates.contains(running.version)
        {
            let candidates = experiment.candidates.compactMap { version in
                catalog.loadedVersion("\(experiment.model)@\(version)")?.desiredModel(deployment: experiment.id)
            }
            guard candidates.count == experiment.candidates.count else { return nil }
            return DesiredExperiment(
                id: experiment.id, mode: experiment.mode, candidates: candidates, split: experiment.split,
                priors: experiment.mode == .bandit ? priors[experiment.id] ?? [] : nil)
        }
        return nil
    }

    /// Recomputes every running bandit's priors: each arm's fleet successes and failures divided by
    /// the devices that reported it, so a device weighs the fleet as one more device like itself.
    func refreshPriors() async {
        var changed = false
        for experiment in experiments where experiment.state == .running && experiment.mode == .bandit {
            guard let windows = try? await monitors.windows(ofExperiment: experiment.id) else { continue }
            let byVersion = Dictionary(grouping: windows) { $0.window.version }
            let fresh = byVersion.keys.sorted().compactMap { version -> ArmPrior? in
                guard let rows = byVersion[version] else { return nil }
                let devices = Double(max(1, Set(rows.map(\.device)).count))
                let correct = rows.map(\.window.correct).reduce(0, +)
                let feedback = rows.map(\.window.feedback).reduce(0, +)
                return ArmPrior(
                    version: version, successes: Double(correct) / devices,
                    failures: Double(max(0, feedback - correct)) / devices)
            }
            if priors[experiment.id] != fresh {
                priors[experiment.id] = fresh
                changed = true
            }
        }
        if changed { await broadcaster.bump() }
    }

    private func end(_ id: String, state: DeploymentState, reason: String, promotedTo: String?) async throws(APIError) {
        guard let index = experiments.firstIndex(where: { $0.id == id }) else { throw APIError.deploymentNotFound(id) }
        var record = experiments[index]
        record.state = state
        record.reason = reason
        record.promotedTo = promotedTo
        record.endedAt = clock()
        try await engine.writing { [record] db in try db.update(record) }
        experiments[index] = record
        priors[id] = nil
        await broadcaster.bump()
        logger.info("experiment ended", metadata: ["experiment": "\(id)", "reason": "\(reason)"])
    }

    private func info(_ record: ExperimentRecord) async throws(APIError) -> DeploymentInfo {
        let windows = try await monitors.windows(ofExperiment: record.id)
        let report = ExperimentFigures.report(record, windows: windows)
        let targeted = devices.activeDevices().filter { record.selector.matches($0.tags) }.count
        // Devices that sent windows as the experiment's arms have taken part.
        let taking = Set(windows.map(\.device)).count
        return DeploymentInfo(
            id: record.id, model: record.model, version: record.candidates.first ?? 0, alias: nil,
            selector: record.selector, strategy: .all, state: record.state, reason: record.reason, waves: [100],
            currentWave: nil, bakeSeconds: 0, maxFailureRate: 0, targeted: targeted,
            counts: DeploymentCounts(pending: max(0, targeted - taking), installed: taking, failed: 0),
            createdAt: record.createdAt,
            experiment: report)
    }

    private func record(_ id: String) throws(APIError) -> ExperimentRecord {
        guard let record = experiments.first(where: { $0.id == id }) else { throw APIError.deploymentNotFound(id) }
        return record
    }

    private static func invalid(_ reason: String) -> APIError {
        .badRequest(.invalidDeployment, "The experiment is refused: \(reason).")
    }
}
