import NIOCore
import NIOHTTP1

/// What ``RequestDeadlineHandler`` needs to know of a request part: where a request starts and ends.
public protocol RequestPartShape: Sendable {
    var isRequestHead: Bool { get }
    var isRequestEnd: Bool { get }
}

/// What ``RequestDeadlineHandler`` needs to know of a response part: where an answer ends.
public protocol ResponsePartShape: Sendable {
    var isResponseEnd: Bool { get }
}

/// Enforces a listener's ``ConnectionLimits`` on one connection, right after the HTTP decoder:
/// admission through the listener's ``ConnectionGate``, then a deadline for the first request head
/// (which also bounds the TLS handshake), one between requests, and one between the reads of a
/// body. A connection that misses one is closed; a request already being answered is never cut.
///
/// Behind a ``ConnectionAdmissionHandler`` (a listener that negotiates HTTP/2), it leaves admission
/// to that handler and keeps the deadlines of one HTTP/1.1 connection or of one HTTP/2 stream,
/// whose misses close that stream alone.
public final class RequestDeadlineHandler<Request: RequestPartShape, Response: ResponsePartShape>:
    ChannelDuplexHandler, RemovableChannelHandler
{
    public typealias InboundIn = Request
    public typealias InboundOut = Request
    public typealias OutboundIn = Response
    public typealias OutboundOut = Response

    private let gate: ConnectionGate
    private var timer: Scheduled<Void>?
    /// Requests whose head arrived and whose answer has not been written.
    private var outstanding = 0
    private var readingBody = false
    private var admitted = false
    private let admitsConnection: Bool

    /// Deadlines from `gate`'s limits; with `admitsConnection` false, a connection (or the HTTP/2
    /// connection of a stream) that a ``ConnectionAdmissionHandler`` admitted.
    public init(gate: ConnectionGate, admitsConnection: Bool = true) {
        self.gate = gate
        self.admitsConnection = admitsConnection
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        guard admitsConnection else {
            arm(context, seconds: gate.limits.firstRequestSeconds)
            return
        }
        guard gate.admit(context.channel) else {
            context.close(promise: nil)
            return
        }
        admitted = true
        arm(context, seconds: gate.limits.firstRequestSeconds)
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        leave(context)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        leave(context)
        context.fireChannelInactive()
    }

    /// Stops the deadline and gives the connection's place back, once.
    private func leave(_ context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        if admitted { gate.release(context.channel) }
        admitted = false
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if part.isRequestHead {
            outstanding += 1
            readingBody = true
            gate.spoke(context.channel.acceptedConnection)
            arm(context, seconds: gate.limits.bodyReadSeconds)
        } else if part.isRequestEnd {
            readingBody = false
            timer?.cancel()
            timer = nil
        } else if readingBody {
            arm(context, seconds: gate.limits.bodyReadSeconds)
        }
        context.fireChannelRead(data)
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if unwrapOutboundIn(data).isResponseEnd {
            outstanding = max(0, outstanding - 1)
            if outstanding == 0, !readingBody {
                arm(context, seconds: gate.limits.idleSeconds)
            }
        }
        context.write(data, promise: promise)
    }

    /// Closes the connection unless something re-arms or cancels the deadline within `seconds`.
    private func arm(_ context: ChannelHandlerContext, seconds: Double) {
        timer?.cancel()
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: .nanoseconds(Int64(seconds * 1e9))) {
            channel.close(promise: nil)
        }
    }
}

extension HTTPServerRequestPart: RequestPartShape {
    public var isRequestHead: Bool {
        if case .head = self { true } else { false }
    }

    public var isRequestEnd: Bool {
        if case .end = self { true } else { false }
    }
}

extension HTTPServerResponsePart: ResponsePartShape {
    public var isResponseEnd: Bool {
        if case .end = self { true } else { false }
    }
}
