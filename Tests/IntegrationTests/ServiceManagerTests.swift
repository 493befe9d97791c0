import Foundation
import StarlingAdmin
import StarlingProtocol
import StarlingTransport
import Synchronization
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// Both daemons speak the service manager's notify protocol as a `Type=notify` systemd unit runs
/// them: with `NOTIFY_SOCKET` and `WATCHDOG_USEC` set, each sends `READY=1` once it serves,
/// `WATCHDOG=1` again and again within the watchdog period, and `STOPPING=1` when SIGTERM stops it.
final class ServiceManagerTests: XCTestCase {
    /// A Unix datagram socket standing in for systemd's notify socket, keeping what it receives.
    final class NotifySocket: Sendable {
        /// What the reading thread shares with the test.
        final class Inbox: Sendable {
            let received = Mutex<[String]>([])
            let open = Mutex(true)
            /// Signalled by the reading thread once it has stopped and closed the socket.
            let stopped = DispatchSemaphore(value: 0)
        }

        let path: String
        private let inbox = Inbox()

        init(path: String) throws {
            self.path = path
            let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { buffer in
                for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
            }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            guard bound == 0 else {
                _ = Glibc.close(descriptor)
                throw POSIXError(.EADDRINUSE)
            }
            var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let inbox = inbox
            Thread {
                var buffer = [UInt8](repeating: 0, count: 4096)
                while inbox.open.withLock({ $0 }) {
                    let count = recv(descriptor, &buffer, buffer.count, 0)
                    if count > 0 {
                        let message = String(decoding: buffer[0..<count], as: UTF8.self)
                        inbox.received.withLock { $0.append(message) }
                    }
                }
                _ = Glibc.close(descriptor)
                inbox.stopped.signal()
            }.start()
        }

        var messages: [String] { inbox.received.withLock { $0 } }

        /// Stops the reading thread (it notices within its 100 ms receive timeout) and removes the socket.
        func close() {
            inbox.open.withLock { $0 = false }
            _ = inbox.stopped.wait(timeout: .now() + 5)
            unlink(path)
        }
    }

    private func waitFor(_ what: String, in socket: NotifySocket, count: Int = 1, _ prefix: String) async throws {
        _ = try await Wait.until("\(what)", timeout: .seconds(60), interval: .milliseconds(50)) {
            socket.messages.filter { $0.hasPrefix(prefix) }.count >= count ? true : nil
        }
    }

    func test_theAggregatorAndTheAgent_notifyReadyWatchdogAndStopping() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("starling-notify-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let binaries = StarlingBinaries.locate()
        let aggregatorSocket = try NotifySocket(path: folder.appendingPathComponent("a.sock").path)
        defer { aggregatorSocket.close() }
        let data = folder.appendingPathComponent("aggregator")
        let aggregator = try ManagedProcess(
            name: "aggregator", executable: binaries.aggregator,
            arguments: ["serve", "--data-dir", data.path, "--listen", "127.0.0.1:0", "--device-listen", "127.0.0.1:0"],
            environment: ["NOTIFY_SOCKET": aggregatorSocket.path, "WATCHDOG_USEC": "400000"],
            logFile: folder.appendingPathComponent("aggregator.log"))
        try await waitFor("the aggregator to be ready", in: aggregatorSocket, "READY=1")
        let ready = try XCTUnwrap(aggregatorSocket.messages.first { $0.hasPrefix("READY=1") })
        XCTAssertTrue(ready.contains("STATUS=listening on https://127.0.0.1:"), ready)
        let endpoints = try AggregatorEndpoints.read(from: data)
        XCTAssertEqual(endpoints.pid, aggregator.processIdentifier, "ready only once the endpoints are written")
        try await waitFor("watchdog pings", in: aggregatorSocket, count: 3, "WATCHDOG=1")

        let agentSocket = try NotifySocket(path: folder.appendingPathComponent("b.sock").path)
        defer { agentSocket.close() }
        let connection = try DemoFleet(workDirectory: folder, binaries: binaries).adminConnection(to: endpoints)
        let admin = try AdminClient(connection: connection)
        let token = try await admin.createEnrollmentToken(CreateEnrollmentTokenRequest(maxUses: 1))
        await admin.shutdown()
        let agent = try ManagedProcess(
            name: "agent", executable: binaries.agent,
            arguments: [
                "run", "--aggregator", endpoints.url, "--ca", endpoints.caCertificate, "--data-dir",
                folder.appendingPathComponent("agent").path, "--api", "127.0.0.1:0",
            ],
            environment: [
                "STARLING_ENROLL_TOKEN": token.token, "NOTIFY_SOCKET": agentSocket.path, "WATCHDOG_USEC": "400000",
            ],
            logFile: folder.appendingPathComponent("agent.log"))
        try await waitFor("the agent to be ready", in: agentSocket, "READY=1")
        try await waitFor("the agent's watchdog pings", in: agentSocket, count: 3, "WATCHDOG=1")

        for (process, socket) in [(agent, agentSocket), (aggregator, aggregatorSocket)] {
            let status = await process.terminate()
            XCTAssertEqual(status, 0)
            try await waitFor("STOPPING=1", in: socket, "STOPPING=1")
            XCTAssertEqual(
                socket.messages.first, socket.messages.first { $0.hasPrefix("READY=1") }, "READY comes first")
        }
    }
}
