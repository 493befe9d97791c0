import NIOCore
import NIOHTTP1
import NIOPosix

/// A request as a stand-in server sees it: method, URI, headers and the whole body.
struct FakeRequest: Sendable {
    var method: HTTPMethod
    var uri: String
    var headers: HTTPHeaders
    var body: [UInt8]
}

/// A stand-in server's answer. With `cutAfter`, the head promises the whole body but only that many
/// bytes are sent before the connection closes: a link that drops mid-transfer.
struct FakeResponse: Sendable {
    var status: HTTPResponseStatus
    var headers: [(String, String)] = []
    var body: [UInt8] = []
    var cutAfter: Int?
}

/// Plain HTTP/1.1 on 127.0.0.1 (port 0) for stand-ins of the aggregator: unlike the agent's local
/// API server it hands the handler every request header and lets it set response headers and cut
/// a body short, which range requests and resumed downloads need. Serves until its task is cancelled
/// or, to serve every connection it accepted before stopping, until ``close()``.
struct FakeHTTPServer: Sendable {
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    let url: String
    private let listener: NIOAsyncChannel<Connection, Never>
    private let handler: @Sendable (FakeRequest) async -> FakeResponse

    static func start(_ handler: @escaping @Sendable (FakeRequest) async -> FakeResponse) async throws -> FakeHTTPServer
    {
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
        return FakeHTTPServer(
            url: "http://127.0.0.1:\(listener.channel.localAddress?.port ?? 0)", listener: listener, handler: handler)
    }

    /// Stops listening; ``run()`` returns once the connections accepted so far are served.
    func close() async {
        try? await listener.channel.close()
    }

    func run() async throws {
        try await listener.executeThenClose { connections in
            try await withThrowingDiscardingTaskGroup { group in
                for try await connection in connections {
                    group.addTask { await serve(connection) }
                }
            }
        }
    }

    private func serve(_ connection: Connection) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body: [UInt8] = []
            for try await part in inbound {
                switch part {
                case .head(let requestHead):
                    head = requestHead
                    body = []
                case .body(let chunk):
                    body += chunk.readableBytesView
                case .end:
                    guard let requestHead = head else { continue }
                    let response = await handler(
                        FakeRequest(
                            method: requestHead.method, uri: requestHead.uri, headers: requestHead.headers, body: body))
                    var headers = HTTPHeaders(response.headers)
                    headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
                    try await outbound.write(
                        .head(HTTPResponseHead(version: requestHead.version, status: response.status, headers: headers))
                    )
                    let sent = response.body.prefix(response.cutAfter ?? response.body.count)
                    // In chunks, so the client reads the body as a stream, as from a real server.
                    var offset = sent.startIndex
                    while offset < sent.endIndex {
                        let end = min(offset + 16_384, sent.endIndex)
                        try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: sent[offset..<end]))))
                        offset = end
                    }
                    if response.cutAfter != nil { return }
                    try await outbound.write(.end(nil))
                }
            }
        }
    }
}
