import Foundation

/// The executable `name` on `PATH` (or in `/usr/bin`), for tests that drive a tool Debian installs
/// (promtool, chromium, chromedriver); nil when it is not installed.
public func findExecutable(named name: String) -> URL? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    return (path.split(separator: ":").map(String.init) + ["/usr/bin"])
        .map { URL(fileURLWithPath: $0).appendingPathComponent(name) }
        .first { FileManager.default.isExecutableFile(atPath: $0.path) }
}
