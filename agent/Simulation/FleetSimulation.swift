import CBLAS
import Logging
import StarlingCore
import StarlingProtocol
import StarlingTransport
import Synchronization

/// Many devices of the agent in one process, against real aggregator processes over real mutual
/// TLS: how `starling simulate` measures rounds at fleet sizes no lab has. Each device enrolls with
/// its own key and certificate and runs the agent's round code (``SimulatedDevice``); the devices of
/// the process share base weights by digest (``SharedWeights``) and vanish as ``SimulatedDropout``
/// says.
///
/// - Important: call ``shutdown()`` on every path out; it closes every device's connections.
public final class FleetSimulation: Sendable {
    /// One device's rows: what it trains on and what it evaluates on.
    public struct Rows: Sendable {
        public var train: [LabelledSample]
        public var eval: [LabelledSample]

        public init(train: [LabelledSample], eval: [LabelledSample]) {
            self.train = train
            self.eval = eval
        }
    }

    private let devices: [SimulatedDevice]
    private let commons: FleetCommons
    private let watching = Atomic<Int>(0)

    public var deviceIds: [String] { devices.map(\.identity.deviceId) }

    /// How many devices have had their first watch answered, so the aggregator counts them online.
    public var devicesWatching: Int { watching.load(ordering: .relaxed) }

    /// Devices masking and sending their vectors at once: enough to keep two cores and the
    /// aggregator busy (with 8 the two processes left a tenth of the masked-input stage's CPU idle;
    /// with 16 the stage was shorter and both used less CPU a round), few enough that the process holds a few vectors in
    /// flight, not thousands.
    private static let maskingTurns = 16

    private init(devices: [SimulatedDevice], dropout: SimulatedDropout) {
        self.devices = devices
        commons = FleetCommons(
            weights: SharedWeights(), dropout: dropout, maskingTurns: MaskedInputTurns(count: Self.maskingTurns))
    }

    /// Enrolls `count` devices at `aggregatorURL` with `token` (one that admits `count` devices),
    /// `concurrency` at a time; device `i` holds `rows(i)`.
    public static func enroll(
        count: Int, aggregatorURL: String, caPEM: String, token: String, dropout: SimulatedDropout,
        concurrency: Int = 16, rows: @escaping @Sendable (Int) -> Rows
    ) async throws(AgentError) -> FleetSimulation {
        let outcome = await withTaskGroup(of: Result<(Int, SimulatedDevice), AgentError>.self) { group in
            var enrolled: [(Int, SimulatedDevice)] = []
            var failure: AgentError?
            var next = 0
            func start(_ index: Int) {
                group.addTask {
                    do throws(AgentError) {
                        let identity = try await Enrollment.enroll(
                            aggregatorURL: aggregatorURL, caPEM: caPEM, token: token, tags: [])
                        let samples = rows(index)
                        return .success(
                            (
                                index,
                                SimulatedDevice(
                                    index: index, identity: identity, client: try identity.makeDeviceClient(),
                                    train: samples.train, eval: samples.eval)
                            ))
                    } catch {
                        return .failure(error)
                    }
                }
            }
            while next < min(count, max(1, concurrency)) {
                start(next)
                next += 1
            }
            for await result in group {
                switch result {
                case .success(let device): enrolled.append(device)
                case .failure(let error): failure = failure ?? error
                }
                if next < count, failure == nil {
                    start(next)
                    next += 1
                }
            }
            return (enrolled.sorted { $0.0 < $1.0 }.map(\.1), failure)
        }
        let fleet = FleetSimulation(devices: outcome.0, dropout: dropout)
        if let failure = outcome.1 {
            await fleet.shutdown()
            throw failure
        }
        return fleet
    }

    /// How many devices vanish in `round`.
    public func vanishing(round: Int) -> Int {
        devices.indices.filter { commons.dropout.stage(device: $0, round: round) != nil }.count
    }

    /// Runs every device until the calling task is cancelled. The devices train side by side on
    /// the worker threads, so BLAS keeps each product on the thread that asks for it rather than
    /// spinning up threads of its own for each.
    public func run(logger: Logger) async {
        openblas_set_num_threads(1)
        await withDiscardingTaskGroup { group in
            for device in devices {
                group.addTask {
                    await device.run(
                        commons: self.commons, watching: { self.watching.add(1, ordering: .relaxed) }, logger: logger)
                }
            }
        }
    }

    /// Closes every device's connections.
    public func shutdown() async {
        for device in devices { await device.client.shutdown() }
    }
}
