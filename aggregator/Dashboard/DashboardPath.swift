/// The dashboard's paths on the public listener.
enum DashboardPath {
    static let root = "/ui"
    static let fleet = "/ui/"
    static let runs = "/ui/runs"
    static let models = "/ui/models"
    static let rollouts = "/ui/rollouts"
    static let signIn = "/ui/sign-in"
    static let signOut = "/ui/sign-out"
    static let style = "/ui/style.css"

    /// One deployment's page, with its history.
    static func rollout(_ id: String) -> String { "/ui/rollouts/\(id)" }

    /// Where a rollout's button posts `action` (pause, resume, abort or rollback).
    static func rolloutAction(_ id: String, _ action: String) -> String { "/ui/rollouts/\(id)/\(action)" }
}
