import Logging
import Metrics
import StarlingCore
import StarlingProtocol

/// Two-phase prediction: the installed model's int8 bundle answers first; answers whose top probability is below
/// the manifest's confidence threshold go to the refiner within a deadline, and when it fails or is
/// late the phase-one answer returns flagged `degraded`. Both phases' latencies and the escalations
/// go to the agent's metrics, and every call (with its keyed predictions) to the monitors.
///
/// While the device takes part in an experiment (``ExperimentSlot``) a shadow's candidate answers
/// the same inputs after the call, off the request path (``ShadowRunner``); an A/B test routes each
/// keyed item by its key's hash to the candidate or the active version; a bandit routes each item
/// to the arm Thompson sampling draws. Each arm's answers are counted in its own windows.
public struct TwoPhasePredictor: Sendable {
    let slot: ModelSlot
    let refiner: (any Refiner)?
    let refineTimeout: Duration
    let counters: CounterLedger
    let metrics: AgentMetrics
    let monitor: PredictionMonitor?
    let experiments: ExperimentSlot?
    let shadows: ShadowRunner?
    let logger: Logger

    public init(
        slot: ModelSlot, refiner: (any Refiner)?, refineTimeout: Duration, counters: CounterLedger,
        metrics: AgentMetrics, monitor: PredictionMonitor?, experiments: ExperimentSlot? = nil,
        shadows: ShadowRunner? = nil, logger: Logger
    ) {
        self.experiments = experiments
        self.shadows = shadows
        self.slot = slot
        self.refiner = refiner
        self.refineTimeout = refineTimeout
        self.counters = counters
        self.metrics = metrics
        self.monitor = monitor
        self.logger = logger
    }

    /// Answers `items` in order.
    public func predict(_ items: [PredictRequest]) async throws(APIProblem) -> [Prediction] {
        guard let installed = slot.model else { throw .noModel }
        guard let experiment = experiments?.current, experiment.applies(to: installed) else {
            return try await serve(items, with: installed, arm: nil).predictions
        }
        let arm = ExperimentArm(experiment: experiment.id, shadow: false)
        let arms = [installed] + experiment.candidates
        let routes: [Int]
        switch experiment.mode {
        case .shadow:
            let served = try await serve(items, with: installed, arm: arm)
            if monitor != nil, let shadow = experiment.candidates.first {
                shadows?.submit(
                    ShadowJob(experiment: experiment.id, shadow: shadow, items: items, served: served.phaseOneLabels))
            }
            return served.predictions
        case .ab:
            routes = items.map { item in
                item.key.map { ExperimentSlot.routesToCandidate(key: $0, split: experiment.split) ? 1 : 0 } ?? 0
            }
        case .bandit:
            let tags = arms.map(\.tag)
            routes = items.map { _ in experiments?.chooseArm(tags) ?? 0 }
        }
        var predictions = [Prediction?](repeating: nil, count: items.count)
        for (index, model) in arms.enumerated() {
            let positions = routes.indices.filter { routes[$0] == index }
            guard !positions.isEmpty else { continue }
            let answered = try await serve(positions.map { items[$0] }, with: model, arm: arm).predictions
            for (position, prediction) in zip(positions, answered) { predictions[position] = prediction }
        }
        return predictions.compactMap { $0 }
    }

    /// Answers `items` with `installed` (as `arm` of an experiment, if set): phase one, then phase
    /// two for the unsure ones; also returns phase one's labels.
    private func serve(_ items: [PredictRequest], with installed: InstalledModel, arm: ExperimentArm?)
        async throws(APIProblem) -> (predictions: [Prediction], phaseOneLabels: [String])
    {
        let start = ContinuousClock.now
        var predictions: [Prediction]
        do {
            predictions = try Self.phaseOne(items, with: installed)
        } catch {
            monitor?.recordError(installed)
            throw error
        }
        let latency = start.duration(to: .now)
        metrics.phaseOne.record(duration: latency)
        let answers = predictions
        let threshold = installed.manifest.confidenceThreshold
        let unsure = predictions.indices.filter { (predictions[$0].probabilities.max() ?? 0) < threshold }
        var degraded = 0
        if !unsure.isEmpty {
            let refined = await phaseTwo(unsure.map { items[$0] })
            for (position, index) in unsure.enumerated() {
                if let refined {
                    predictions[index] = refined[position]
                    predictions[index].key = items[index].key
                } else {
                    predictions[index].degraded = true
                    degraded += 1
                }
            }
        }
        monitor?.record(
            installed, items: items, answers: answers, escalated: unsure, degraded: degraded, latency: latency,
            arm: arm)
        counters.add([.predictions: items.count, .phaseTwoRequests: unsure.count, .degradedAnswers: degraded])
        metrics.predictions.increment(by: items.count)
        metrics.escalations.increment(by: unsure.count)
        metrics.degradedAnswers.increment(by: degraded)
        return (predictions, answers.map(\.label))
    }

    /// `installed`'s phase-one answers to `items`, which it checks: keys, widths, finite features.
    static func phaseOne(_ items: [PredictRequest], with installed: InstalledModel) throws(APIProblem) -> [Prediction] {
        let manifest = installed.manifest
        let width = manifest.architecture.inputSize
        var features: [Float] = []
        features.reserveCapacity(items.count * width)
        for (index, item) in items.enumerated() {
            if let key = item.key, key.utf8.count > FeedbackRequest.maximumKeyLength {
                throw APIProblem(
                    status: .badRequest, code: .invalidKey,
                    message: "A key is at most \(FeedbackRequest.maximumKeyLength) bytes; item \(index)'s is longer.")
            }
            guard item.features.count == width else {
                let which = items.count == 1 ? "The request" : "Item \(index)"
                throw .invalidFeatures("\(which) has \(item.features.count) features; the model expects \(width).")
            }
            guard item.features.allSatisfy(\.isFiniteAsFloat) else {
                throw .invalidFeatures("Features must be finite numbers within ±3.4e38.")
            }
            features.append(contentsOf: item.features.map(Float.init))
        }
        let classes = manifest.labels.count
        let probabilities = installed.int8.predict(features: features, rows: items.count)
        return items.enumerated().map { row, item in
            let scores = probabilities[(row * classes)..<((row + 1) * classes)].map(Double.init)
            let best = scores.indices.max { scores[$0] < scores[$1] } ?? 0
            return Prediction(
                key: item.key, label: manifest.labels[best], probabilities: scores, phase: 1,
                modelVersion: installed.tag, degraded: false)
        }
    }

    /// Refined answers in order, or nil when phase two is unavailable, failed or missed the deadline.
    /// The deadline is this function's: the request's own timeout is a second later, only a backstop,
    /// so a slow aggregator always counts as `timed_out`, never as a failure.
    private func phaseTwo(_ items: [PredictRequest]) async -> [Prediction]? {
        guard let refiner else { return nil }
        let (timeout, backstop) = (refineTimeout, refineTimeout + .seconds(1))
        let start = ContinuousClock.now
        switch await withDeadline(
            timeout, { () async throws(AgentError) in try await refiner.refine(items, timeout: backstop) })
        {
        case .success(let answers)?:
            metrics.phaseTwo(.answered, after: start.duration(to: .now))
            return answers
        case .failure(let error)?:
            metrics.phaseTwo(.failed, after: start.duration(to: .now))
            logger.debug("phase two failed", metadata: ["reason": "\(error)"])
            return nil
        case nil:
            metrics.phaseTwo(.timedOut, after: start.duration(to: .now))
            logger.debug("phase two missed its deadline")
            return nil
        }
    }
}
