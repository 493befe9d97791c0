import Logging
import ServiceLifecycle

/// Stores the devices' heartbeats once per `interval`, many watches to one transaction, and the
/// last ones when the aggregator shuts down. A crash loses at most one interval of last-seen times,
/// which presence (kept in memory) does not depend on.
///
/// - Important: put it after ``Storage`` and before the listeners in the service group, so it
///   shuts down after the listeners stop taking watches and before the database closes.
struct HeartbeatWriter: Service {
    let devices: DeviceRegistry
    let interval: Duration
    let logger: Logger

    func run() async throws {
        await PeriodicTicks.run(every: interval) { await save() }
        await save()
    }

    private func save() async {
        do {
            try await devices.saveHeartbeats()
        } catch {
            logger.error("cannot store heartbeats", metadata: ["error": "\(error)"])
        }
    }
}
