import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import StarlingProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The agent's local API: plain HTTP/1.1 on loopback TCP and, optionally, a Unix domain socket.
///
/// ``bind(host:port:socketPath:responder:bodyLimit:logger:)`` opens the listeners (so the real port is known
/// before anything is announced); ``run()`` serves them until graceful shutdown.
struct LocalAPIServer: Service {
    typealias Listener = NIOAsyncChannel<HTTPConnection.Channel, Never>

    /// `http://host:port` of the TCP listener.
    let url: String
    let socketPath: String?
    private let listeners: [Listener]
    private let responder: any HTTPResponder
    private let bodyLimit: Int
    private let logger: Logger

    static func bind(
        host: String, port: Int, socketPath: String?, responder: any HTTPResponder, bodyLimit: Int = BodyLimit.json,
        logger: Logger
    ) async throws(AgentError) -> LocalAPIServer {
        let tcp: Listener
        do {
            tcp = try await bootstrap(tcp: true).bind(host: host, port: port, childChannelInitializer: initialize)
        } catch {
            throw .cannotListen(address: "\(host):\(port)", reason: "\(error)")
        }
        var listeners = [tcp]
        if let socketPath {
            do {
                listeners.append(
                    try await bootstrap(tcp: false).bind(
                        unixDomainSocketPath: socketPath, cleanupExistingSocketFile: true,
                        childChannelInitializer: initialize))
            } catch {
                try? await tcp.channel.close()
                throw .cannotListen(address: socketPath, reason: "\(error)")
            }
        }
        let boundPort = tcp.channel.localAddress?.port ?? port
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return LocalAPIServer(
            url: "http://\(shownHost):\(boundPort)", socketPath: socketPath, listeners: listeners,
            responder: responder, bodyLimit: bodyLimit, logger: logger)
    }

    func run() async throws {
        await withDiscardingTaskGroup { group in
            for listener in listeners {
                group.addTask { await accept(on: listener) }
            }
        }
        if let socketPath {
            try? FileManager.default.removeItem(atPath: socketPath)
        }
    }

    /// Serves the connections of one listener until graceful shutdown, then closes the idle ones.
    private func accept(on listener: Listener) async {
        do {
            try await listener.executeThenClose { connections in
                await withDiscardingTaskGroup { group in
                    do {
                        for try await connection in connections.cancelOnGracefulShutdown() {
                            group.addTask {
                                await HTTPConnection.serve(
                                    connection, responder: responder, bodyLimit: bodyLimit, logger: logger)
                            }
                        }
                    } catch {
                        logger.warning("local API listener failed", metadata: ["reason": "\(error)"])
                    }
                    group.cancelAll()
                }
            }
        } catch {
            logger.warning("local API listener did not close cleanly", metadata: ["reason": "\(error)"])
        }
    }

    private static func bootstrap(tcp: Bool) -> ServerBootstrap {
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
        guard tcp else { return bootstrap }
        return
            bootstrap
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    }

    @Sendable private static func initialize(_ channel: any Channel) -> EventLoopFuture<HTTPConnection.Channel> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline()
            return try HTTPConnection.Channel(wrappingChannelSynchronously: channel)
        }
    }
}

extension LocalAPIServer: CustomStringConvertible {
    /// The name service-lifecycle logs for this service.
    var description: String { "local-api" }
}
