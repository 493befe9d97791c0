import StarlingProtocol

extension RunCoordinator {
    /// Starts the run of a monitor rule's `retrain` action: `rounds` rounds from `version` of `model`
    /// on `devices` only, named by `trigger` in the lineage of what it makes. It trains as the run
    /// that made the version did (local settings, secure aggregation, privacy, server optimizer);
    /// a version no run made trains with the defaults, under secure aggregation. A round closes with
    /// every device's update, or with half of them at its deadline.
    func startRetrain(
        model: String, version: Int, devices: [String], rounds: Int, trigger: RetrainTrigger
    ) async throws(APIError) -> RunInfo {
        guard !devices.isEmpty else {
            throw .badRequest(.invalidRun, "a retraining run needs at least one device")
        }
        let base = try await catalog.version(of: model, version)
        var request = StartRunRequest(
            model: model, baseVersion: base.version, clients: devices.count,
            minClients: max(1, (devices.count + 1) / 2), rounds: rounds)
        if let made = base.lineage.runId, let previous = try await store.plan(id: made), previous.kind == .train {
            request.localEpochs = previous.localEpochs
            request.learningRate = previous.learningRate
            request.momentum = previous.momentum
            request.batchSize = previous.batchSize
            request.deadlineSeconds = previous.deadlineSeconds
            request.secureAggregation = previous.secureAggregation != nil
            request.privacy = previous.privacy
            request.gradientClipNorm = previous.training.gradientClipNorm
            request.weightDecay = previous.training.weightDecay
            request.proximalMu = previous.training.proximalMu
            request.serverOptimizer = previous.serverOptimizer
            request.aggregation = previous.secureAggregation == nil ? previous.aggregation : nil
        }
        var plan = try RunPlan(
            validating: request, defaultDeadline: defaultDeadline, seed: RunPlan.randomSeed())
        plan.devices = Set(devices)
        plan.trigger = trigger
        return try await begin(plan)
    }
}
