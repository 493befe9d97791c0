import StarlingCore
import StarlingProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The local API's side of monitoring: feedback attached to earlier keyed predictions (and
/// counted in the monitors of the version that made them), and the monitors' report.
struct Monitoring: Sendable {
    let monitor: PredictionMonitor
    let writer: MonitorWriter
    let store: AgentStore
    let slot: ModelSlot
    let experiments: ExperimentSlot

    /// The manifest of `tag`: the installed model, the one it replaced, or an experiment's candidate.
    private func manifest(of tag: String) -> ModelManifest? {
        slot.manifest(of: tag) ?? experiments.manifest(of: tag)
    }

    /// Attaches the labels, all or none: 400 `invalid_feedback` for a batch out of bounds, an
    /// empty or over-long key or label, or a label the version does not have; 404
    /// `prediction_not_found` for a key never predicted or past the retention; 409
    /// `duplicate_feedback` for a prediction that has its label already.
    func attach(_ items: [FeedbackRequest]) async throws(APIProblem) -> FeedbackReceipt {
        guard (1...FeedbackRequest.maximumBatch).contains(items.count) else {
            throw Self.invalid("A batch holds 1…\(FeedbackRequest.maximumBatch) items, not \(items.count).")
        }
        for (index, item) in items.enumerated() {
            guard !item.key.isEmpty, item.key.utf8.count <= FeedbackRequest.maximumKeyLength else {
                throw Self.invalid("Item \(index)'s key must be 1…\(FeedbackRequest.maximumKeyLength) bytes.")
            }
            guard !item.label.isEmpty, item.label.utf8.count <= 128 else {
                throw Self.invalid("Item \(index)'s label must be 1…128 bytes.")
            }
        }
        guard monitor.settings.enabled else {
            throw APIProblem(
                status: .notFound, code: .predictionNotFound,
                message: "This agent keeps no predictions: monitoring is turned off.")
        }
        do {
            try await writer.flush()
        } catch {
            throw .internalError("the predictions waiting to be written could not be: \(error)")
        }
        let now = monitor.clock()
        let (slot, experiments) = (slot, experiments)
        let answered: [AnsweredPrediction]
        do {
            answered = try await store.attachFeedback(items, retention: monitor.settings.retentionSeconds, now: now) {
                version in (slot.manifest(of: version) ?? experiments.manifest(of: version))?.labels
            }
        } catch {
            throw Self.problem(error)
        }
        var correct = 0
        for item in answered {
            if item.truth == item.prediction.label { correct += 1 }
            let prediction = item.prediction
            if let experiment = prediction.experiment {
                experiments.reward(
                    experiment: experiment, version: prediction.version, correct: item.truth == prediction.label)
            }
            if let shadow = prediction.shadow, let manifest = manifest(of: shadow.version) {
                monitor.feedback(
                    version: shadow.version, manifest: manifest, truth: item.truth, predicted: shadow.label, now: now,
                    arm: ExperimentArm(experiment: shadow.experiment, shadow: true))
            }
            guard let manifest = manifest(of: prediction.version) else { continue }
            monitor.feedback(
                version: prediction.version, manifest: manifest, truth: item.truth, predicted: prediction.label,
                now: now, arm: prediction.experiment.map { ExperimentArm(experiment: $0, shadow: false) })
        }
        return FeedbackReceipt(accepted: answered.count, correct: correct)
    }

    /// The monitors of the last `window` seconds (`?window=S`, 60…30 days, default 3600), per
    /// version: the closed windows on disk and the open ones, added up.
    func report(query uri: String) async throws(APIProblem) -> MonitorReport {
        var seconds = 3600.0
        if let value = Self.parameter("window", in: uri) {
            guard let parsed = Double(value), MonitorReport.spanSeconds.contains(parsed) else {
                throw APIProblem(
                    status: .badRequest, code: .invalidRequest,
                    message:
                        "window must be a number of seconds from 60 to \(Int(MonitorReport.spanSeconds.upperBound)).")
            }
            seconds = parsed
        }
        let stored: [MonitorWindow]
        do {
            // Bins the waiting inputs and writes the windows closed meanwhile, so none is missed.
            try await writer.flush()
            stored = try await store.monitorWindows(since: monitor.clock() - seconds)
        } catch {
            throw .internalError("\(error)")
        }
        let latestFirst = MonitorWindow.totals(stored + monitor.openWindows()).values.sorted {
            ($0.start + $0.seconds, $0.version) > ($1.start + $1.seconds, $1.version)
        }
        let versions = latestFirst.map { window in
            MonitorReport.Version(summarising: window, reference: slot.manifest(of: window.version)?.drift)
        }
        return MonitorReport(
            windowSeconds: seconds, versions: versions, droppedPredictions: monitor.droppedPredictions,
            unsampledCalls: monitor.unsampledInputs)
    }

    private static func problem(_ refusal: FeedbackRefusal) -> APIProblem {
        switch refusal {
        case .unknownKey(let key):
            APIProblem(
                status: .notFound, code: .predictionNotFound,
                message:
                    "No prediction is kept under the key '\(printable(key))': it was never asked for, or is older than the retention."
            )
        case .duplicate(let key):
            APIProblem(
                status: .conflict, code: .duplicateFeedback,
                message: "The prediction under the key '\(printable(key))' has its feedback already.")
        case .unknownLabel(let key, let label):
            invalid("The label '\(printable(label))' for the key '\(printable(key))' is not one of the model's labels.")
        case .store(let reason):
            .internalError(reason)
        }
    }

    private static func invalid(_ message: String) -> APIProblem {
        APIProblem(status: .badRequest, code: .invalidFeedback, message: message)
    }

    /// A device-given string as an error message may quote it: control characters escaped, cut short.
    private static func printable(_ text: String) -> String {
        String(
            text.prefix(64).unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : Character($0) })
    }

    private static func parameter(_ name: String, in uri: String) -> String? {
        guard let query = uri.split(separator: "?", maxSplits: 1).dropFirst().first else { return nil }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.first.map(String.init) == name { return parts.count > 1 ? String(parts[1]) : "" }
        }
        return nil
    }
}
