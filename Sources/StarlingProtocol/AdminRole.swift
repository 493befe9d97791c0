/// What an admin bearer token may do. Roles are ordered: each may do everything the one below it
/// may, so every admin route names only the least role it needs.
///
/// - `viewer` reads: the fleet, the registry, runs, profiles and deployments.
/// - `operator` also steers the fleet's work: starts training, evaluation and statistics runs,
///   creates and steers deployments, and moves model aliases.
/// - `admin` also manages access and the registry's contents: admin and enrollment tokens, device
///   revocation, model creation and import, the refinement model, and reads the audit log.
public enum AdminRole: String, Codable, Sendable, CaseIterable, Comparable {
    case viewer
    case `operator`
    case admin

    /// Position in the order viewer < operator < admin.
    private var rank: Int {
        switch self {
        case .viewer: 0
        case .operator: 1
        case .admin: 2
        }
    }

    public static func < (lhs: AdminRole, rhs: AdminRole) -> Bool { lhs.rank < rhs.rank }

    /// The roles as a sentence lists them: "viewer, operator or admin".
    public static var spelledOut: String {
        let names = allCases.map(\.rawValue)
        return names.dropLast().joined(separator: ", ") + " or " + (names.last ?? "")
    }
}
