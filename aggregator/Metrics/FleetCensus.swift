import Foundation
import StarlingProtocol

/// The fleet's state as a scrape reports it: read from the device directory, the rollouts and the
/// registry when the scrape arrives, so nothing has to keep these gauges in step as they change.
struct FleetCensus: Sendable {
    /// Enrolled devices that are not revoked.
    var devicesEnrolled: Int
    /// Of those, the ones online now.
    var devicesOnline: Int
    /// Deployments by the state of their rollout.
    var rollouts: [DeploymentState: Int]
    /// Where the targets of running and paused rollouts stand, summed over those rollouts.
    var rolloutDevices: DeploymentCounts
    var models: Int
    var versions: Int

    /// Counts everything now.
    static func take(_ components: Components) async throws(APIError) -> FleetCensus {
        let devices = components.devices.activeDevices()
        let now = components.devices.clock()
        let online = devices.count { components.devices.isOnline($0, at: now) }
        let (rollouts, rolloutDevices) = await components.rollouts.census()
        let (models, versions) = try await components.catalog.counts()
        return FleetCensus(
            devicesEnrolled: devices.count, devicesOnline: online, rollouts: rollouts, rolloutDevices: rolloutDevices,
            models: models, versions: versions)
    }
}
