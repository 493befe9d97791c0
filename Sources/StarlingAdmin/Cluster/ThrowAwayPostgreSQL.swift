import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A PostgreSQL server of Debian's `postgresql` package for a demo of replicas: `initdb` into a new
/// temporary folder, started with `pg_ctl` on an unused loopback port (trust authentication on
/// 127.0.0.1 only, no fsync: nothing in it outlives the demo), with a `starling` database.
/// PostgreSQL refuses to run as root, so as root the server runs as the package's `postgres` user.
///
/// - Important: call ``stop()`` on every path out; it stops the server and removes its folder.
public struct ThrowAwayPostgreSQL: Sendable {
    /// `postgres://starling@127.0.0.1:<port>/starling`.
    public let url: String
    private let folder: URL
    private let programs: URL

    /// The folder of the newest installed server's programs, if any.
    public static func locatePrograms() -> URL? {
        let root = URL(fileURLWithPath: "/usr/lib/postgresql")
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return versions.compactMap { version in Int(version).map { ($0, version) } }.sorted { $0.0 < $1.0 }
            .map { root.appendingPathComponent($0.1).appendingPathComponent("bin") }
            .last { FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("pg_ctl").path) }
    }

    /// Makes and starts the server; its programs' logs go to `postgresql-<program>.log` in `logs`.
    public static func start(logs: URL) throws(AdminError) -> ThrowAwayPostgreSQL {
        guard let programs = locatePrograms() else {
            throw .configuration("PostgreSQL's server programs are missing: apt-get install postgresql")
        }
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("starling-postgresql-\(UUID().uuidString.prefix(8))")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            if getuid() == 0 {
                try FileManager.default.setAttributes([.ownerAccountName: "postgres"], ofItemAtPath: folder.path)
            }
        } catch {
            throw .configuration("cannot prepare \(folder.path) for PostgreSQL: \(error)")
        }
        let port = try LoopbackPort.unused()
        let server = ThrowAwayPostgreSQL(
            url: "postgres://starling@127.0.0.1:\(port)/starling", folder: folder, programs: programs)
        let data = folder.appendingPathComponent("data").path
        do throws(AdminError) {
            try server.runProgram(
                "initdb",
                [
                    "--pgdata=\(data)", "--username=starling", "--auth=trust", "--no-sync", "--encoding=UTF8",
                    "--locale=C.UTF-8",
                ],
                logs: logs)
            try server.runProgram(
                "pg_ctl",
                [
                    "--pgdata=\(data)", "--log=\(folder.appendingPathComponent("server.log").path)", "--wait",
                    "--timeout=60", "-o",
                    "-c listen_addresses=127.0.0.1 -p \(port) -k \(folder.path) -c fsync=off -c synchronous_commit=off",
                    "start",
                ],
                logs: logs)
            try server.runProgram(
                "createdb", ["--host=127.0.0.1", "--port=\(port)", "--username=starling", "starling"], logs: logs)
        } catch {
            server.stop(logs: logs)
            throw error
        }
        return server
    }

    /// Stops the server (fast shutdown) and removes its folder; logs as ``start(logs:)``.
    public func stop(logs: URL) {
        try? runProgram(
            "pg_ctl", ["--pgdata=\(folder.appendingPathComponent("data").path)", "--mode=fast", "--wait", "stop"],
            logs: logs)
        try? FileManager.default.removeItem(at: folder)
    }

    /// Runs one of the server's programs to its end, as the `postgres` user when this is root.
    private func runProgram(_ name: String, _ arguments: [String], logs: URL) throws(AdminError) {
        let program = programs.appendingPathComponent(name)
        let (executable, line) =
            getuid() == 0
            ? (URL(fileURLWithPath: "/usr/sbin/runuser"), ["-u", "postgres", "--", program.path] + arguments)
            : (program, arguments)
        let log = logs.appendingPathComponent("postgresql-\(name).log")
        let status = try ForegroundProgram.run(executable, line, log: log)
        guard status == 0 else {
            throw .failed("PostgreSQL's \(name) failed (status \(status)); see \(log.path)")
        }
    }
}
