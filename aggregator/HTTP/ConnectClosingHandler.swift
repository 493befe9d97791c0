import Hummingbird
import NIOCore
import NIOHTTPTypes

/// Closes a connection as soon as the answer to a `CONNECT` request on it has been written.
///
/// After a `CONNECT` head the HTTP decoder stops parsing (the connection would become a tunnel), and
/// NIO frames the answer without a body or a length, so a client can only learn that the answer has
/// ended when the connection closes. Without this handler the connection stayed open until the
/// client gave up; with it the 405 from ``MethodMiddleware`` arrives at once. Like Hummingbird's own
/// connection-state handler it flushes the answer's end and then closes.
final class ConnectClosingHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private var closesAfterAnswer = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data), head.method == .connect {
            closesAfterAnswer = true
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard closesAfterAnswer, case .end = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        context.writeAndFlush(data, promise: promise)
        context.close(promise: nil)
    }
}
