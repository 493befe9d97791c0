import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import StarlingTransport
import Synchronization

/// One HTTP/1.1 exchange written byte for byte over TLS: everything the aggregator sends back until
/// it closes the connection, or until a deadline, when the client closes it instead.
///
/// For requests the typed client cannot make (`CONNECT`, `PATCH`), and for proving that the
/// aggregator ends a connection itself: `serverClosed` is false only when the deadline closed it.
struct RawTLSExchange {
    /// The bytes received, as text.
    var received: String
    /// Whether the aggregator closed the connection before the deadline.
    var serverClosed: Bool

    /// The answer's status line, e.g. `HTTP/1.1 405 Method Not Allowed`.
    var statusLine: Substring { received.prefix { !$0.isNewline } }

    /// Sends `request` to `url` (`https://host:port`), trusting `caPEM` and presenting `identity`
    /// when given, and reads until the aggregator closes the connection or `deadline` passes.
    static func send(
        _ request: String, to url: String, caPEM: String, identity: TLSIdentity? = nil,
        deadline: Duration = .seconds(10)
    ) async throws -> RawTLSExchange {
        guard let components = URLComponents(string: url), let host = components.host, let port = components.port else {
            throw InvalidURL(url: url)
        }
        let context = try NIOSSLContext(
            configuration: try TLSConfigurations.client(trusting: caPEM, identity: identity))
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        NIOSSLClientHandler(context: context, serverHostname: nil))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let expired = DeadlineFlag()
        let timer = channel.channel.eventLoop.scheduleTask(in: TimeAmount(deadline)) {
            expired.set()
            channel.channel.close(promise: nil)
        }
        let received = try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: request))
            var received = ByteBuffer()
            do {
                for try await var chunk in inbound { received.writeBuffer(&chunk) }
            } catch NIOSSLError.uncleanShutdown {
                // The aggregator closed the TCP connection without a TLS close_notify: still a close.
            } catch {
                // Only the deadline closing the connection mid-read ends the exchange without failing.
                guard expired.isSet else { throw error }
            }
            return received
        }
        timer.cancel()
        return RawTLSExchange(received: String(buffer: received), serverClosed: !expired.isSet)
    }

    /// A URL without a host and port.
    struct InvalidURL: Error {
        var url: String
    }
}

/// Set once the deadline of a ``RawTLSExchange`` has passed.
private final class DeadlineFlag: Sendable {
    private let passed = Mutex(false)
    func set() { passed.withLock { $0 = true } }
    var isSet: Bool { passed.withLock { $0 } }
}
