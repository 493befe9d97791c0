import Foundation
import Logging
import ServiceLifecycle
import StarlingProtocol
import StarlingStorage
import Synchronization

/// When devices' monitor windows are added up under SecAgg+ instead of sent one by one.
public enum MonitorAggregation: String, Sendable, CaseIterable {
    /// Every device sends its windows.
    case perDevice = "per-device"
    /// Devices of every version keep their windows for monitor runs.
    case secure
    /// Devices of a version that at least ``SecureMonitoring/minimumDevices`` devices run keep
    /// their windows for monitor runs; the others send theirs.
    case auto
}

/// Secure aggregation of the devices' monitor windows. Every `interval` it counts the devices
/// running each version, decides per version whether its windows go through SecAgg+ (the devices
/// learn it from their desired state), and starts one monitor run per such version over the span
/// since the last one: the devices running it add up their unsent windows that ended by its end,
/// and the aggregator keeps only the sum, if it holds at least `minimumDevices` of them (or every
/// device running the version, when fewer run it under `secure`).
///
/// What the aggregator learns under it: per version and span, fleet totals of requests, errors,
/// escalations, latency and confidence histograms, feedback and confusion counts, and the drift
/// histograms; never a device's. Per-device figures (the `retrain` action's choice of devices)
/// are then not available: a retraining trains on every device running the version.
actor SecureMonitoring: Service {
    let mode: MonitorAggregation
    let minimumDevices: Int
    let interval: Duration
    let devices: DeviceRegistry
    let runs: RunCoordinator
    let runStore: RunStore
    let shapes: VersionShapes
    let engine: any StorageEngine
    let broadcaster: RevisionBroadcaster
    let clock: @Sendable () -> Date
    let logger: Logger
    /// The versions (`name@version`) whose windows go through SecAgg+, read by every watch.
    let secureVersions = Mutex<Set<String>>([])
    /// Where each version's next span starts, and its run still in flight.
    private var cursors: [String: Double] = [:]
    private var inFlight: [String: String] = [:]

    init(
        mode: MonitorAggregation, minimumDevices: Int, interval: Duration, devices: DeviceRegistry,
        runs: RunCoordinator, runStore: RunStore, shapes: VersionShapes, engine: any StorageEngine,
        broadcaster: RevisionBroadcaster, clock: @escaping @Sendable () -> Date, logger: Logger
    ) throws {
        self.mode = mode
        self.minimumDevices = minimumDevices
        self.interval = interval
        self.devices = devices
        self.runs = runs
        self.runStore = runStore
        self.shapes = shapes
        self.engine = engine
        self.broadcaster = broadcaster
        self.clock = clock
        self.logger = logger
        // A restart goes on from the end of the last span summed, so no span is summed twice.
        let spans = try engine.readBlocking { db in
            try db.fetchAll(
                SummedSpan.self,
                "SELECT model, version, start, \"window\" FROM monitorWindows WHERE deviceId LIKE 'secure:%'")
        }
        for span in spans {
            let tag = "\(span.model)@\(span.version)"
            cursors[tag] = max(cursors[tag] ?? span.end, span.end)
        }
    }

    /// How devices running `tag` send their windows: under `secure` always through SecAgg+, under
    /// `auto` once the version is run by enough devices.
    nonisolated func uploadMode(for tag: String?) -> MonitorUploadMode {
        switch mode {
        case .perDevice: .perDevice
        case .secure: .secure
        case .auto: tag.map { tag in secureVersions.withLock { $0.contains(tag) } } == true ? .secure : .perDevice
        }
    }

    func run() async throws {
        guard mode != .perDevice else { return }
        await PeriodicTicks.run(every: interval) { await self.collect() }
    }

    /// One pass: decide the secure versions, then start a monitor run for each.
    func collect() async {
        let now = clock()
        var running: [String: [String]] = [:]
        for device in devices.activeDevices() {
            if let tag = device.runningModel { running[tag, default: []].append(device.id) }
        }
        let secure = Set(running.filter { mode == .secure || $0.value.count >= minimumDevices }.keys)
        let changed = secureVersions.withLock { current in
            defer { current = secure }
            return current != secure
        }
        if changed { await broadcaster.bump() }
        // Collections are runs, which only the leading replica starts.
        guard runStore.leadership.isLeader else { return }
        for tag in secure.sorted() {
            guard let parsed = VersionTag(tag), let ids = running[tag] else { continue }
            if let id = inFlight[tag], let run = try? await runStore.info(id: id), !run.state.isFinal { continue }
            let from = cursors[tag] ?? now.timeIntervalSince1970 - interval / .seconds(1)
            let to = now.timeIntervalSince1970
            guard to > from else { continue }
            do {
                let shape = try await shapes.shape(model: parsed.model, version: parsed.version)
                let task = MonitorTask(version: tag, from: from, to: to, labels: shape.labels, bins: shape.bins)
                let plan = RunPlan(
                    monitor: task, model: parsed.model, version: parsed.version,
                    devices: Set(ids.prefix(MonitorWindowLayout.maximumDevices)),
                    minimumDevices: min(minimumDevices, ids.count),
                    deadlineSeconds: min(120, max(10, interval / .seconds(1))), seed: RunPlan.randomSeed())
                let run = try await runs.begin(plan)
                inFlight[tag] = run.id
                cursors[tag] = to
            } catch {
                logger.warning(
                    "cannot start a secure monitor collection", metadata: ["version": "\(tag)", "reason": "\(error)"])
            }
        }
    }
}

/// The span of a secure monitor window as stored: its start and, of its window, only the length.
private struct SummedSpan: Decodable {
    struct Window: Decodable {
        var seconds: Double
    }

    var model: String
    var version: Int
    var start: Double
    var window: Window

    var end: Double { start + window.seconds }
}

extension SecureMonitoring: CustomStringConvertible {
    nonisolated var description: String { "secure-monitoring" }
}
