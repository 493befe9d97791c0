/// What a bearer token may do, stored beside its hash. Route groups admit roles, not tokens, so
/// granting a role another group is a change to that group's set alone.
enum TokenRole: String, Sendable {
    /// Everything: the admin API, refinement and metrics.
    case admin
}
