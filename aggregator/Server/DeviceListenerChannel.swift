import HummingbirdCore
import HummingbirdHTTP2
import Logging
import NIOCore
import NIOSSL
import StarlingTransport

/// The device listener's connections: mutual TLS offering HTTP/2 and HTTP/1.1 by ALPN. An agent
/// speaking HTTP/2 keeps its held watch, its round's long polls and its uploads on one connection,
/// so a fleet costs the listener one descriptor a device instead of two; a client that offers no
/// protocol is served HTTP/1.1 as before. Every connection is admitted to the listener's
/// ``ConnectionGate`` as it is accepted (``ConnectionAdmissionHandler``); each HTTP/1.1 connection
/// and each HTTP/2 stream keeps the request deadlines, and an HTTP/2 connection without streams
/// closes after the idle time.
struct DeviceListenerChannel: ServerChildChannel {
    typealias Value = HTTP2UpgradeChannel.Value

    private let negotiated: HTTP2UpgradeChannel
    private let gate: ConnectionGate

    init(
        tls: TLSConfiguration, gate: ConnectionGate,
        requestHandlers: @autoclosure @escaping @Sendable () -> [any RemovableChannelHandler],
        responder: @escaping HTTPChannelHandler.Responder
    ) throws {
        self.gate = gate
        negotiated = try HTTP2UpgradeChannel(
            tlsConfiguration: tls,
            configuration: .init(
                idleTimeout: .nanoseconds(Int64(gate.limits.idleSeconds * 1e9)),
                streamConfiguration: .init(additionalChannelHandlers: requestHandlers())),
            responder: responder)
    }

    /// The most a connection reads at once, and so the most each of its pooled read buffers keeps
    /// between reads: a TLS record (16 kB). NIO's default lets the buffers of a connection that
    /// once received a large upload stay at 64 kB each, hundreds of megabytes over a fleet's
    /// connections, for reads that TLS splits into 16 kB records anyway.
    static let readBufferBytes = 16_384

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let value = negotiated.setup(channel: channel, logger: logger)
        do {
            try channel.syncOptions?.setOption(
                ChannelOptions.recvAllocator,
                value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2_048, maximum: Self.readBufferBytes))
            let tls = try channel.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self)
            try channel.pipeline.syncOperations.addHandler(
                ConnectionAdmissionHandler(gate: gate), position: .after(tls))
        } catch {
            channel.close(promise: nil)
            return channel.eventLoop.makeFailedFuture(error)
        }
        return value
    }

    func handle(value: Value, logger: Logger) async {
        await negotiated.handle(value: value, logger: logger)
    }
}
