import Logging
import ServiceLifecycle
import StarlingProtocol
import Synchronization

/// One call a shadow should answer too: its inputs and the active version's phase-one labels.
public struct ShadowJob: Sendable {
    let experiment: String
    let shadow: InstalledModel
    let items: [PredictRequest]
    let served: [String]
}

/// Runs a shadow experiment's candidate on the inputs the active version answered, after the
/// answer went back and off the request path: the predictor hands each call over here, and this
/// service answers it with the shadow's int8 phase one, records its latency, confidence and
/// agreement with the active version in the shadow's window, and keeps its keyed answers for
/// feedback. The answers are never returned. At most ``capacity`` calls wait; past that, calls are
/// left out of the shadow's figures (counted) rather than slowing anything.
public final class ShadowRunner: Service, Sendable {
    static let capacity = 256
    private let jobs: AsyncStream<ShadowJob>
    private let sink: AsyncStream<ShadowJob>.Continuation
    private let dropped = Mutex(0)
    let monitor: PredictionMonitor
    let logger: Logger

    public init(monitor: PredictionMonitor, logger: Logger) {
        (jobs, sink) = AsyncStream.makeStream(of: ShadowJob.self, bufferingPolicy: .bufferingOldest(Self.capacity))
        self.monitor = monitor
        self.logger = logger
    }

    /// Queues a call for the shadow; never waits.
    func submit(_ job: ShadowJob) {
        if case .dropped = sink.yield(job) { dropped.withLock { $0 &+= 1 } }
    }

    /// Calls left out because too many waited.
    public var droppedCalls: Int { dropped.withLock { $0 } }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            for await job in self.jobs { self.answer(job) }
        }
    }

    /// The shadow's phase one on a call's inputs, recorded.
    func answer(_ job: ShadowJob) {
        let start = ContinuousClock.now
        guard let answers = try? TwoPhasePredictor.phaseOne(job.items, with: job.shadow) else { return }
        let latency = start.duration(to: .now)
        let agreed = zip(answers, job.served).filter { $0.label == $1 }.count
        monitor.recordShadow(
            job.shadow, experiment: job.experiment, items: job.items, answers: answers, agreed: agreed, latency: latency
        )
    }
}
