import NIOCore

/// Holds one TLS connection to its listener's ``ConnectionLimits`` from the moment it is accepted,
/// whatever protocol it goes on to speak: admission through the listener's ``ConnectionGate``, and
/// a deadline of ``ConnectionLimits/firstRequestSeconds`` for its TLS handshake and first bytes.
/// It sits right after the TLS handler, before the protocol is negotiated; once the client has
/// spoken, the per-request deadlines (``RequestDeadlineHandler``) and, on HTTP/2, the idle
/// timeout of a connection without streams take over.
public final class ConnectionAdmissionHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer

    private let gate: ConnectionGate
    private var timer: Scheduled<Void>?
    private var admitted = false

    public init(gate: ConnectionGate) {
        self.gate = gate
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        guard gate.admit(context.channel) else {
            context.close(promise: nil)
            return
        }
        admitted = true
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: .nanoseconds(Int64(gate.limits.firstRequestSeconds * 1e9))) {
            channel.close(promise: nil)
        }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        leave(context)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        leave(context)
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        timer?.cancel()
        timer = nil
        context.fireChannelRead(data)
    }

    /// Stops the deadline and gives the connection's place back, once.
    private func leave(_ context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        if admitted { gate.release(context.channel) }
        admitted = false
    }
}
