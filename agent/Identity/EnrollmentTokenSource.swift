#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Where the agent finds its enrollment token. It is read only when the device has no identity
/// yet, at that moment, and kept nowhere afterwards: the configuration holds where the token is,
/// not the token, except for ``text(_:)``.
public enum EnrollmentTokenSource: Sendable, Equatable {
    /// The token itself: from `--enroll-token`, which every user of the machine can read in `ps`
    /// while the agent runs, or from code that runs the agent in-process.
    case text(String)
    /// A file holding the token (`--enroll-token-file`): no process listing shows it.
    case file(URL)
    /// An environment variable holding the token (`STARLING_ENROLL_TOKEN`): not in `ps`, but in
    /// `/proc/PID/environ`, which only the same user and root may read.
    case environment(variable: String)

    /// The variable `starling-agent run` reads when given no other source.
    public static let defaultVariable = "STARLING_ENROLL_TOKEN"

    /// The token, surrounding whitespace removed; `enrollmentTokenMissing` when it is empty or the
    /// variable is unset.
    func read() throws(AgentError) -> String {
        let raw: String
        switch self {
        case .text(let token):
            raw = token
        case .file(let url):
            do {
                raw = String(decoding: try Data(contentsOf: url), as: UTF8.self)
            } catch {
                throw .unreadableFile(path: url.path, reason: "cannot read the enrollment token file")
            }
        case .environment(let variable):
            raw = getenv(variable).map { String(cString: $0) } ?? ""
        }
        let token = raw.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed()
        guard !token.isEmpty else { throw .enrollmentTokenMissing }
        return String(token)
    }
}
