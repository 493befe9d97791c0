import Foundation
import StarlingCore
import StarlingProtocol

extension RunCoordinator {
    /// Sums the evaluation figures the contributors uploaded (plain evaluation runs).
    func aggregateEvaluations(contributors: [String], runID: String) async {
        guard let run = runs[runID] else { return }
        do throws(APIError) {
            let rows = try await store.updates(runId: runID, round: run.machine.round)
                .filter { contributors.contains($0.deviceId) }
            var reports: [EvaluationFigures] = []
            for row in rows {
                reports.append(
                    try EvaluationUpload.decode(
                        try await store.bytes(of: row), classes: run.architecture?.outputSize ?? 0))
            }
            try await evaluated(run: run, figures: EvaluationUpload.combine(reports), devices: reports.count)
        } catch {
            await aggregationFailed(runID: runID, error: error)
        }
    }

    /// Merges the feature statistics the contributors uploaded (plain statistics runs).
    func aggregateStatistics(contributors: [String], runID: String) async {
        guard let run = runs[runID], let plan = run.record.plan.statistics else { return }
        do throws(APIError) {
            let rows = try await store.updates(runId: runID, round: run.machine.round)
                .filter { contributors.contains($0.deviceId) }
            var merged = FeatureStatistics(width: plan.width, grid: plan.grid)
            for row in rows {
                let statistics = try StatisticsUpload.decode(
                    try await store.bytes(of: row), width: plan.width, grid: plan.grid)
                do {
                    try merged.merge(statistics)
                } catch {
                    throw APIError.internal("the statistics of \(row.deviceId) do not merge: \(error)")
                }
            }
            try await collected(run: run, statistics: merged, devices: rows.count)
        } catch {
            await aggregationFailed(runID: runID, error: error)
        }
    }

    /// Keeps an evaluation run's figures with the version it evaluated, and completes the run.
    func evaluated(run: ActiveRun, figures: EvaluationFigures, devices: Int) async throws(APIError) {
        let evaluation = FederatedEvaluation(
            model: run.record.model, version: run.machine.baseVersion, runId: run.record.id, devices: devices,
            figures: figures, secureAggregation: run.record.plan.secureAggregation != nil, createdAt: clock())
        let write = resultWrite(of: run, metrics: nil, contributors: devices)
        try await evaluations.insert(evaluation) { db in try write.write(db, version: nil) }
        logger.info(
            "evaluation completed",
            metadata: [
                "run": "\(run.record.id)", "version": "\(evaluation.version)", "accuracy": "\(figures.accuracy)",
                "samples": "\(figures.samples)",
            ])
        await roundRecorded(write, runID: run.record.id, version: nil)
    }

    /// Registers a statistics run's feature profile, unless it summarises fewer devices than the
    /// run's minimum (which never goes below the aggregator's floor).
    /// Keeps a monitor run's sum as the fleet's window of its span, when it sums at least
    /// `minClients` devices (the smallest sum the aggregator may learn).
    func collected(run: ActiveRun, window: MonitorWindow, devices: Int) async throws(APIError) {
        guard let task = run.record.plan.monitor, let version = run.record.plan.baseVersion else {
            throw .internal("a monitor run has no monitor plan")
        }
        guard devices >= run.record.plan.minClients else {
            throw .conflict(
                .cohortTooSmall,
                "the windows of \(devices) devices were summed, fewer than the \(run.record.plan.minClients) asked for; nothing was kept"
            )
        }
        let write = resultWrite(of: run, metrics: nil, contributors: devices)
        let record = MonitorWindowRecord(
            deviceId: "secure:\(run.record.id)", model: run.record.model, version: version, arm: "", start: task.from,
            window: window, receivedAt: clock(), devices: devices)
        try await store.engine.writing { db in
            try write.write(db, version: nil)
            try db.save(record)
        }
        logger.info(
            "fleet monitor window collected",
            metadata: ["run": "\(run.record.id)", "version": "\(task.version)", "devices": "\(devices)"])
        await roundRecorded(write, runID: run.record.id, version: nil)
    }

    func collected(run: ActiveRun, statistics: FeatureStatistics, devices: Int) async throws(APIError) {
        guard let plan = run.record.plan.statistics else { throw .internal("a statistics run has no statistics plan") }
        let minimum = max(run.record.plan.minClients, minimumStatisticsDevices)
        guard devices >= minimum else {
            throw .conflict(
                .cohortTooSmall,
                "the statistics of \(devices) devices were summed, fewer than the \(minimum) a profile needs; nothing was kept"
            )
        }
        let write = resultWrite(of: run, metrics: nil, contributors: devices)
        let summary = try await profiles.register(
            name: plan.name, runId: run.record.id, secureAggregation: run.record.plan.secureAggregation != nil,
            at: clock(), alongside: { db in try write.write(db, version: nil) }
        ) { version throws(APIError) in
            do {
                return try FeatureProfile(name: plan.name, version: version, statistics: statistics, devices: devices)
            } catch {
                throw .internal("the fleet's statistics do not make a profile: \(error)")
            }
        }
        logger.info(
            "feature profile registered",
            metadata: [
                "run": "\(run.record.id)", "profile": "\(summary.name)@\(summary.version)", "devices": "\(devices)",
            ])
        await roundRecorded(write, runID: run.record.id, version: nil)
    }
}
