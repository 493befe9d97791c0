import Foundation

/// Where the Starling executables are: beside the running `starling` binary, unless
/// `STARLING_BIN_DIR` says otherwise.
public struct StarlingBinaries: Sendable {
    public var folder: URL

    public init(folder: URL) { self.folder = folder }

    /// The folder of the running executable, or `STARLING_BIN_DIR`.
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) -> StarlingBinaries {
        if let explicit = environment["STARLING_BIN_DIR"] {
            return StarlingBinaries(folder: URL(fileURLWithPath: explicit))
        }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        return StarlingBinaries(folder: executable.deletingLastPathComponent())
    }

    public var aggregator: URL { folder.appendingPathComponent("starling-aggregator") }
    public var agent: URL { folder.appendingPathComponent("starling-agent") }

    /// Fails with a clear sentence when an executable is missing: both, or the aggregator alone
    /// for a command that starts no agent process.
    public func check(agentToo: Bool = true) throws(AdminError) {
        for binary in agentToo ? [aggregator, agent] : [aggregator]
        where !FileManager.default.isExecutableFile(atPath: binary.path) {
            throw .configuration(
                "\(binary.lastPathComponent) is not in \(folder.path): build with 'swift build' or set STARLING_BIN_DIR"
            )
        }
    }
}
