import StarlingCore
import StarlingProtocol
import Synchronization

/// The agent's on-device monitors: per installed version, a rolling window of request counts,
/// phase-one latency and confidence, phase-two, degraded and error counts, accuracy and confusion
/// against feedback, and the inputs binned on the model's drift reference; plus the keyed
/// predictions waiting to be written for later feedback.
///
/// Recording is one lock and a few counters per call, so that phase one is not measurably slower:
/// nothing on the request path touches the disk or bins a feature. The request's inputs are kept
/// as they are (the arrays themselves, not copies) and binned by ``binPending()`` off the request
/// path; ``MonitorWriter`` does that and writes closed windows and keyed predictions to the store
/// in the background, every second, and as soon as half of the keyed predictions that may wait are
/// waiting (``wakeups``). At most ``maximumPending`` predictions and ``maximumUnbinnedValues``
/// input values wait for it: past that a call's keyed predictions are not kept and its inputs are
/// left out of the drift histograms (both counted), never the request slowed. So the drift
/// histograms take up to ``maximumUnbinnedValues`` input values a second (167 rows of 784
/// features, 2,048 of 64) and are a sample beyond.
public final class PredictionMonitor: Sendable {
    static let maximumPending = 10_000
    /// About 1 MB of inputs waiting to be binned: the most binned each second.
    static let maximumUnbinnedValues = 131_072

    /// A version's window (as an arm of `experiment`, when set) that answered.
    private struct WindowKey: Hashable {
        var tag: String
        var experiment: String?
        var windowStart: Double
    }

    /// One call's inputs, waiting to be binned into the window they arrived in.
    private struct Unbinned {
        var tag: String
        var experiment: String?
        var windowStart: Double
        var reference: DriftReference
        /// The call's requests themselves: keeping them costs no copy.
        var rows: [PredictRequest]
    }

    private struct State {
        var windowStart: Double
        /// One per version seen in the window; a short list (one or two versions), searched by the
        /// version's tag, which compares in O(1) when it is the same string each call passes.
        var open: [MonitorWindow] = []
        var closed: [MonitorWindow] = []
        var pending: [LoggedPrediction] = []
        /// Shadow answers for keyed predictions, waiting to be written beside them.
        var shadows: [ShadowAnswer] = []
        var droppedPredictions = 0
        var unbinned: [Unbinned] = []
        var unbinnedValues = 0
        var unsampledInputs = 0
    }

    let settings: MonitorSettings
    /// Seconds since 1970, now.
    let clock: @Sendable () -> Double
    /// Yields when the writer should run now rather than at its next tick.
    let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let state: Mutex<State>

    public init(settings: MonitorSettings, clock: @escaping @Sendable () -> Double) {
        self.settings = settings
        self.clock = clock
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        state = Mutex(State(windowStart: Self.windowStart(of: clock(), seconds: settings.windowSeconds)))
    }

    /// Asks the writer to run now.
    func wakeWriter() {
        wake.yield()
    }

    /// One predict call answered by `installed`: `answers` are phase one's, `escalated` the
    /// positions sent to phase two, `degraded` how many of those phase two did not answer; `arm` is
    /// set when `installed` answered as an arm of an experiment.
    func record(
        _ installed: InstalledModel, items: [PredictRequest], answers: [Prediction], escalated: [Int], degraded: Int,
        latency: Duration, arm: ExperimentArm? = nil
    ) {
        guard settings.enabled else { return }
        let now = clock()
        // Fields read one by one: a copy of the whole manifest would retain each of its arrays.
        let reference = installed.int8.manifest.drift
        let microseconds = Self.microseconds(latency)
        let tag = installed.tag
        let pressed = state.withLock { state in
            var pressure = false
            roll(&state, now: now)
            update(&state, tag, arm: arm, labels: installed.int8.manifest.labels, drift: reference) { window in
                window.requests &+= items.count
                window.phaseTwo &+= escalated.count
                window.degraded &+= degraded
                window.latency[MonitorWindow.latencyBucket(microseconds: microseconds)] &+= 1
                for answer in answers {
                    window.confidence[MonitorWindow.confidenceBucket(answer.probabilities.max() ?? 0)] &+= 1
                }
            }
            if let reference {
                let values = items.count * reference.width
                // Inputs do not wake the writer: it bins at most this many each second, so under
                // heavy load the drift histograms are a sample and binning never competes with
                // the requests for the machine.
                if state.unbinnedValues + values <= Self.maximumUnbinnedValues {
                    state.unbinned.append(
                        Unbinned(
                            tag: tag, experiment: arm?.experiment, windowStart: state.windowStart,
                            reference: reference, rows: items)
                    )
                    state.unbinnedValues += values
                } else {
                    state.unsampledInputs &+= items.count
                }
            }
            var escalatedIndex = escalated.makeIterator()
            var nextEscalated = escalatedIndex.next()
            for (index, (item, answer)) in zip(items, answers).enumerated() {
                let wasEscalated = nextEscalated == index
                if wasEscalated { nextEscalated = escalatedIndex.next() }
                guard let key = item.key else { continue }
                guard state.pending.count < Self.maximumPending else {
                    state.droppedPredictions &+= 1
                    continue
                }
                pressure = pressure || state.pending.count == Self.maximumPending / 2
                state.pending.append(
                    LoggedPrediction(
                        key: key, version: tag, label: answer.label, confidence: answer.probabilities.max() ?? 0,
                        escalated: wasEscalated, createdAt: now, experiment: arm?.experiment))
            }
            return pressure
        }
        if pressed { wake.yield() }
    }

    /// A shadow's answers to a call the active version answered: `agreed` of them had the active
    /// version's phase-one label. Its window counts them apart (arm `shadow`); the keyed ones are
    /// written beside their predictions for feedback.
    func recordShadow(
        _ shadow: InstalledModel, experiment: String, items: [PredictRequest], answers: [Prediction], agreed: Int,
        latency: Duration
    ) {
        guard settings.enabled else { return }
        let now = clock()
        let microseconds = Self.microseconds(latency)
        let arm = ExperimentArm(experiment: experiment, shadow: true)
        let manifest = shadow.int8.manifest
        state.withLock { state in
            roll(&state, now: now)
            update(&state, shadow.tag, arm: arm, labels: manifest.labels, drift: manifest.drift) { window in
                window.requests &+= items.count
                window.arm?.agreed &+= agreed
                window.latency[MonitorWindow.latencyBucket(microseconds: microseconds)] &+= 1
                for answer in answers {
                    window.confidence[MonitorWindow.confidenceBucket(answer.probabilities.max() ?? 0)] &+= 1
                }
            }
            for (item, answer) in zip(items, answers) {
                guard let key = item.key, state.shadows.count < Self.maximumPending else { continue }
                state.shadows.append(
                    ShadowAnswer(key: key, experiment: experiment, version: shadow.tag, label: answer.label))
            }
        }
    }

    /// A predict call that failed while `installed` was the model.
    func recordError(_ installed: InstalledModel) {
        guard settings.enabled else { return }
        let now = clock()
        let tag = installed.tag
        state.withLock { state in
            roll(&state, now: now)
            update(
                &state, tag, arm: nil, labels: installed.int8.manifest.labels, drift: installed.int8.manifest.drift
            ) { window in
                window.errors &+= 1
            }
        }
    }

    /// Feedback for a prediction of `version` (`manifest` is its own), answered as `arm` if set:
    /// `truth` is the label it should have had, `predicted` the one phase one gave.
    func feedback(
        version: String, manifest: ModelManifest, truth: String, predicted: String, now: Double,
        arm: ExperimentArm? = nil
    ) {
        guard settings.enabled else { return }
        state.withLock { state in
            roll(&state, now: now)
            update(&state, version, arm: arm, labels: manifest.labels, drift: manifest.drift) { window in
                window.feedback &+= 1
                if truth == predicted { window.correct &+= 1 }
                let labels = window.labels
                if let row = labels.firstIndex(of: truth), let column = labels.firstIndex(of: predicted) {
                    window.confusion[row * labels.count + column] &+= 1
                }
            }
        }
    }

    /// What waits to be written: the keyed predictions, the shadow answers for them, and the
    /// windows closed by `now`.
    func takeWrites(now: Double) -> (
        predictions: [LoggedPrediction], shadows: [ShadowAnswer], windows: [MonitorWindow]
    ) {
        state.withLock { state in
            roll(&state, now: now)
            defer {
                state.pending = []
                state.shadows = []
                state.closed = []
            }
            return (state.pending, state.shadows, state.closed)
        }
    }

    /// Bins the inputs waiting since the last call into the windows they arrived in (open, or
    /// closed and not written yet), outside the lock the request path takes.
    func binPending() {
        let batch = state.withLock { state in
            defer {
                state.unbinned = []
                state.unbinnedValues = 0
            }
            return state.unbinned
        }
        guard !batch.isEmpty else { return }
        // One binner per version and window, so the lock is taken once to add each of them.
        var binners: [WindowKey: DriftBinner] = [:]
        for entry in batch {
            let key = WindowKey(tag: entry.tag, experiment: entry.experiment, windowStart: entry.windowStart)
            var binner = binners.removeValue(forKey: key) ?? DriftBinner(entry.reference)
            for row in entry.rows { binner.add(row.features) }
            binners[key] = binner
        }
        let counted = binners.map { (key: $0.key, counts: $0.value.perFeature) }
        state.withLock { state in
            for (key, counts) in counted {
                let served = { (window: MonitorWindow) in
                    window.version == key.tag && window.served && window.arm?.experiment == key.experiment
                }
                if key.windowStart == state.windowStart, let index = state.open.firstIndex(where: served) {
                    state.open[index].addInputs(counts)
                } else if let index = state.closed.firstIndex(where: { served($0) && $0.start == key.windowStart }) {
                    state.closed[index].addInputs(counts)
                }
            }
        }
    }

    /// Calls whose inputs were left out of the drift histograms because too many waited.
    public var unsampledInputs: Int { state.withLock { $0.unsampledInputs } }

    /// The windows open now, one per version seen in them.
    func openWindows() -> [MonitorWindow] {
        state.withLock { $0.open }
    }

    /// Keyed predictions dropped because the store could not keep up.
    var droppedPredictions: Int { state.withLock { $0.droppedPredictions } }

    /// Closes the open windows once `now` is past their end.
    private func roll(_ state: inout State, now: Double) {
        guard now >= state.windowStart + settings.windowSeconds else { return }
        state.closed += state.open
        state.open = []
        state.windowStart = Self.windowStart(of: now, seconds: settings.windowSeconds)
    }

    /// Changes the open window of `tag` (and `arm`) in place (no copy of its counts), opening one
    /// shaped by the version's `labels` and drift bins first when there is none.
    private func update(
        _ state: inout State, _ tag: String, arm: ExperimentArm?, labels: @autoclosure () -> [String],
        drift: DriftReference?, _ change: (inout MonitorWindow) -> Void
    ) {
        guard
            let index = state.open.firstIndex(where: {
                $0.version == tag && $0.arm?.experiment == arm?.experiment && $0.arm?.shadow == arm?.shadow
            })
        else {
            var window = MonitorWindow(
                version: tag, start: state.windowStart, seconds: settings.windowSeconds, labels: labels(),
                bins: drift.map { reference in (0..<reference.width).map(reference.binCount(feature:)) } ?? [])
            window.arm = arm
            change(&window)
            state.open.append(window)
            return
        }
        change(&state.open[index])
    }

    /// `latency` in whole microseconds, from its components (no floating point on the request path);
    /// Int.max past a million seconds.
    private static func microseconds(_ latency: Duration) -> Int {
        let (seconds, attoseconds) = latency.components
        return (0..<1_000_000).contains(seconds)
            ? Int(seconds) * 1_000_000 + Int(attoseconds / 1_000_000_000_000) : Int.max
    }

    /// Windows start at whole multiples of their length, so every device's windows line up.
    private static func windowStart(of now: Double, seconds: Double) -> Double {
        (now / seconds).rounded(.down) * seconds
    }
}

extension MonitorWindow {
    /// Adds inputs counted per feature and bin, when they have the window's shape.
    fileprivate mutating func addInputs(_ counts: [[Int]]) {
        guard counts.map(\.count) == features.map(\.count) else { return }
        for feature in features.indices {
            for bin in features[feature].indices { features[feature][bin] &+= counts[feature][bin] }
        }
    }
}
