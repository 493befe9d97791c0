import Foundation
import NIOCore
import NIOPosix
import StarlingTransport
import Synchronization
import XCTest

/// Plain TCP connections to a listener that never send a byte, counting those the server closes.
public final class SilentConnections: Sendable {
    private final class Counter: Sendable {
        let value = Mutex(0)
    }

    private let channels: [any Channel]
    private let closed = Counter()

    private init(_ channels: [any Channel]) {
        self.channels = channels
        for channel in channels {
            channel.closeFuture.whenComplete { [closed] _ in closed.value.withLock { $0 += 1 } }
        }
    }

    public static func open(_ count: Int, to url: String) async throws -> SilentConnections {
        let components = try XCTUnwrap(URLComponents(string: url))
        let host = try XCTUnwrap(components.host)
        let port = try XCTUnwrap(components.port)
        var channels: [any Channel] = []
        for _ in 0..<count {
            channels.append(
                try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: host, port: port)
                    .get())
        }
        return SilentConnections(channels)
    }

    public var closedCount: Int { closed.value.withLock { $0 } }

    /// Waits until the server closed at least `count` of them (every one by default).
    public func waitUntilClosed(atLeast count: Int? = nil, by timeout: Duration) async throws {
        let wanted = count ?? channels.count
        _ = try await Wait.until("the server to close \(wanted) connections", timeout: timeout) {
            self.closedCount >= wanted ? true : nil
        }
    }

    deinit {
        for channel in channels { channel.close(promise: nil) }
    }
}
