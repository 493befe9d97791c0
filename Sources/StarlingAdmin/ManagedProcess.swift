import Foundation

/// A child process the CLI started (an aggregator or an agent), with its output in a log file.
///
/// - Important: every started process must be stopped with ``terminate(grace:)``; a
///   ``ProcessGroup`` does that for all its members, also when the caller fails.
public final class ManagedProcess: Sendable {
    public let name: String
    public let logFile: URL
    private let process: Process
    /// The signal ``terminate(grace:)`` asks the process to stop with.
    private let stopSignal: Int32

    /// Starts `executable` with `arguments`, its stdout and stderr appended to `logFile`, in this
    /// process's environment with `environment` added (for secrets that must not show in `ps`).
    /// `stopSignal` is the signal that stops the program gracefully (SIGTERM for Starling's own).
    public init(
        name: String, executable: URL, arguments: [String], environment: [String: String] = [:], logFile: URL,
        stopSignal: Int32 = SIGTERM
    ) throws(AdminError) {
        self.name = name
        self.logFile = logFile
        self.stopSignal = stopSignal
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, added in added }
        }
        guard FileManager.default.createFile(atPath: logFile.path, contents: nil),
            let log = FileHandle(forWritingAtPath: logFile.path)
        else {
            throw .configuration("cannot open the log file \(logFile.path)")
        }
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw .configuration("cannot start \(executable.path): \(error.localizedDescription)")
        }
        self.process = process
    }

    public var processIdentifier: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    /// Sends the stop signal, waits up to `grace` for a clean exit, then SIGKILL. Returns the exit
    /// status.
    @discardableResult
    public func terminate(grace: Duration = .seconds(10)) async -> Int32 {
        if process.isRunning {
            kill(process.processIdentifier, stopSignal)
        }
        return await waitForExit(timeout: grace)
    }

    /// Waits up to `timeout` for the process to end by itself, then kills it with SIGKILL.
    /// Returns the exit status.
    public func waitForExit(timeout: Duration) async -> Int32 {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Kills the process at once with SIGKILL, as a crash would.
    public func killAbruptly() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
    }

    /// The last lines of the process's log, for error reports.
    public func logTail(lines: Int = 15) -> String {
        guard let text = try? String(contentsOf: logFile, encoding: .utf8) else { return "" }
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }
}

/// The child processes of one command, stopped together in reverse start order.
public actor ProcessGroup {
    private var members: [ManagedProcess] = []

    public init() {}

    public func add(_ process: ManagedProcess) { members.append(process) }

    /// The member started under `name`, if any.
    public func member(named name: String) -> ManagedProcess? { members.first { $0.name == name } }

    /// Stops every member (agents before the aggregator they talk to), forgets them, and returns
    /// the members that did not exit with status 0, with their status.
    @discardableResult
    public func terminateAll() async -> [(name: String, status: Int32)] {
        var unclean: [(name: String, status: Int32)] = []
        for member in members.reversed() {
            let status = await member.terminate()
            if status != 0 { unclean.append((member.name, status)) }
        }
        members.removeAll()
        return unclean
    }
}
