import Foundation
import Logging

/// The aggregator's parts, wired once at start-up and shared by both listeners' routes.
struct Components: Sendable {
    let devices: DeviceRegistry
    let revocation: DeviceRevocation
    let enrollment: Enrollment
    let enrollmentTokens: EnrollmentTokens
    let adminTokens: AdminTokens
    let audit: AuditLog
    let catalog: ModelCatalog
    let registry: ModelRegistry
    let profiles: ProfileStore
    let evaluations: EvaluationStore
    let aliases: ModelAliases
    let runs: RunCoordinator
    let runStore: RunStore
    let rollouts: Rollouts
    let refinement: Refinement
    let desiredStates: DesiredStates
    let broadcaster: RevisionBroadcaster
    /// Bounds each device's held watches and secure-aggregation replies.
    let heldRequests: HeldRequests
    let endpoints: EndpointAnnouncer
    let metrics: AggregatorMetrics
    let dashboardSessions: DashboardSessions
    /// Devices' monitor windows in, the fleet's view out.
    let monitoring: FleetMonitoring
    let monitorRules: MonitorRuleStore
    /// Shadow, A/B and bandit deployments.
    let experiments: Experiments
    let secureMonitoring: SecureMonitoring
    /// Whether this process coordinates, among replicas.
    let leadership: Leadership
    /// Sends on to the leader what only it carries out.
    let forwarder: LeaderForwarder
}
