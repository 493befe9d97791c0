import Logging
import NIOCore
import NIOHTTP1
import StarlingProtocol

/// One HTTP/1.1 connection of the local API: reads requests (keep-alive, one at a time), collects
/// each body up to the limit, asks the responder and writes its answer. A body over the limit is
/// read to its end, answered 413 `body_too_large`, and the connection closed.
enum HTTPConnection {
    typealias Channel = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    static func serve(_ channel: Channel, responder: any HTTPResponder, bodyLimit: Int, logger: Logger) async {
        do {
            try await channel.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                var body = ByteBuffer()
                var tooLarge = false
                for try await part in inbound {
                    switch part {
                    case .head(let requestHead):
                        head = requestHead
                        body.clear()
                        let declared = requestHead.headers.first(name: "content-length").flatMap(Int.init) ?? 0
                        tooLarge = declared > bodyLimit
                    case .body(var chunk):
                        guard !tooLarge else { continue }
                        if body.readableBytes + chunk.readableBytes > bodyLimit {
                            tooLarge = true
                            body.clear()
                        } else {
                            body.writeBuffer(&chunk)
                        }
                    case .end:
                        guard let requestHead = head else { continue }
                        head = nil
                        let response =
                            tooLarge
                            ? LocalAPIResponse.problem(.bodyTooLarge)
                            : await responder.respond(
                                method: requestHead.method, uri: requestHead.uri,
                                body: Array(body.readableBytesView))
                        let keepAlive = requestHead.isKeepAlive && !tooLarge
                        try await write(response, version: requestHead.version, keepAlive: keepAlive, to: outbound)
                        if !keepAlive { return }
                    }
                }
            }
        } catch {
            logger.debug("local API connection ended", metadata: ["reason": "\(error)"])
        }
    }

    private static func write(
        _ response: LocalAPIResponse, version: HTTPVersion, keepAlive: Bool,
        to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
    ) async throws {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: String(response.body.count))
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        try await outbound.write(contentsOf: [
            .head(HTTPResponseHead(version: version, status: response.status, headers: headers)),
            .body(.byteBuffer(ByteBuffer(bytes: response.body))),
            .end(nil),
        ])
    }
}
