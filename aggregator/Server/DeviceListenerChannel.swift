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

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let value = negotiated.setup(channel: channel, logger: logger)
        do {
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
