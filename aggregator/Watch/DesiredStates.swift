import Foundation
import StarlingProtocol

/// Answers a device's long-poll watch: records its heartbeat and presence, holds the request until
/// the revision changes or the wait runs out, then assembles its desired state, or refuses it with
/// 403 `device_revoked` if an admin revoked the device meanwhile.
struct DesiredStates: Sendable {
    /// The longest a watch is held, and the hold when the device names none. Four minutes, as
    /// blocking queries of service catalogues hold theirs: each renewal is a request answered for
    /// every device of the fleet, and a fleet's idle load is its renewals (10,000 devices held 50 s
    /// renewed 200 times a second). It stays within the five-minute timeouts of the load balancer
    /// configuration `starling demo --replicas` writes.
    static let maximumWait: Double = 240
    static let defaultWait: Double = 25

    let devices: DeviceRegistry
    let rollouts: Rollouts
    let coordinator: RunCoordinator
    let experiments: Experiments
    let secureMonitoring: SecureMonitoring
    let broadcaster: RevisionBroadcaster
    let held: HeldRequests

    func watch(_ request: WatchRequest, device: Device) async throws(APIError) -> DesiredState {
        try DeviceReportBounds.check(request)
        devices.heartbeat(id: device.id, sampleCount: request.sampleCount, runningModel: request.runningModel)
        let presence = devices.presence
        presence.watchOpened(device.id)
        defer { presence.watchAnswered(device.id, at: devices.clock()) }
        let requested = request.waitSeconds ?? Self.defaultWait
        let wait = requested.isFinite ? min(max(requested, 0), Self.maximumWait) : Self.defaultWait
        let broadcaster = broadcaster
        await held.holding(device.id) { hold in
            await hold.wait {
                _ = await broadcaster.waitForChange(from: request.revision, timeout: .milliseconds(Int64(wait * 1000)))
            }
        }
        let revision = await broadcaster.current
        guard let current = devices.activeDevice(id: device.id) else { throw APIError.deviceRevoked }
        return DesiredState(
            revision: revision,
            model: await rollouts.desiredModel(for: device),
            rounds: await coordinator.tasks(for: device.id),
            experiment: await experiments.desiredExperiment(for: current),
            monitorUpload: secureMonitoring.uploadMode(for: current.runningModel))
    }
}
