import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import StarlingProtocol
import StarlingTransport

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The agent's local API: plain HTTP/1.1 on loopback TCP and, optionally, a Unix domain socket,
/// each listener held to ``standardLimits`` (deadlines and a connection cap) so that a local
/// process that connects and never speaks cannot exhaust the daemon's descriptors.
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

    /// 10 s to the first request head, 60 s idle, 30 s between body reads, 128 connections a listener.
    static let standardLimits = ConnectionLimits.standard(maximumConnections: 128)

    static func bind(
        host: String, port: Int, socketPath: String?, responder: any HTTPResponder, bodyLimit: Int = BodyLimit.json,
        limits: ConnectionLimits = standardLimits, logger: Logger
    ) async throws(AgentError) -> LocalAPIServer {
        let tcp: Listener
        do {
            tcp = try await bootstrap(tcp: true).bind(
                host: host, port: port, childChannelInitializer: initializer(ConnectionGate(limits: limits)))
        } catch {
            throw .cannotListen(address: "\(host):\(port)", reason: "\(error)")
        }
        var listeners = [tcp]
        if let socketPath {
            do {
                listeners.append(
                    try await bootstrap(tcp: false).bind(
                        unixDomainSocketPath: socketPath, cleanupExistingSocketFile: true,
                        childChannelInitializer: initializer(ConnectionGate(limits: limits))))
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

    /// Sets up each connection of a listener whose connections `gate` holds.
    private static func initializer(
        _ gate: ConnectionGate
    ) -> @Sendable (any Channel) -> EventLoopFuture<HTTPConnection.Channel> {
        { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                try channel.pipeline.syncOperations.addHandler(
                    RequestDeadlineHandler<HTTPServerRequestPart, HTTPServerResponsePart>(gate: gate))
                return try HTTPConnection.Channel(wrappingChannelSynchronously: channel)
            }
        }
    }
}

extension LocalAPIServer: CustomStringConvertible {
    /// The name service-lifecycle logs for this service.
    var description: String { "local-api" }
}
