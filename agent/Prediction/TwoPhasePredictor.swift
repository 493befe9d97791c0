import Logging
import Metrics
import StarlingCore
import StarlingProtocol

/// Two-phase prediction: the installed model's int8 bundle answers first; answers whose top probability is below
/// the manifest's confidence threshold go to the refiner within a deadline, and when it fails or is
/// late the phase-one answer returns flagged `degraded`. Both phases' latencies and the escalations
/// go to the agent's metrics, and every call (with its keyed predictions) to the monitors.
public struct TwoPhasePredictor: Sendable {
    let slot: ModelSlot
    let refiner: (any Refiner)?
    let refineTimeout: Duration
    let counters: CounterLedger
    let metrics: AgentMetrics
    let monitor: PredictionMonitor?
    let logger: Logger

    public init(
        slot: ModelSlot, refiner: (any Refiner)?, refineTimeout: Duration, counters: CounterLedger,
        metrics: AgentMetrics, monitor: PredictionMonitor?, logger: Logger
    ) {
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
        let start = ContinuousClock.now
        var predictions: [Prediction]
        do {
            predictions = try phaseOne(items, with: installed)
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
            installed, items: items, answers: answers, escalated: unsure, degraded: degraded, latency: latency)
        counters.add([.predictions: items.count, .phaseTwoRequests: unsure.count, .degradedAnswers: degraded])
        metrics.predictions.increment(by: items.count)
        metrics.escalations.increment(by: unsure.count)
        metrics.degradedAnswers.increment(by: degraded)
        return predictions
    }

    private func phaseOne(_ items: [PredictRequest], with installed: InstalledModel) throws(APIProblem) -> [Prediction]
    {
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
