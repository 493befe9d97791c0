import Dispatch
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// Runs a whole secure aggregation in one process: n virtual clients, the same ``SecAggClient``
/// code devices run, and a ``SecAggServer``, with chosen clients vanishing before chosen stages.
/// It rehearses a round before it touches devices, and it is how tests and benchmarks exercise
/// the protocol at sizes no fleet on one machine reaches.
public struct SecAggSimulation: Sendable {
    /// The outcome: the unmasked ring sum, the clients whose inputs it holds, and where the time
    /// went (all clients and the server per stage, and the server's final unmasking).
    public struct Outcome: Sendable {
        public var sum: [UInt32]
        public var survivors: [Int]
        public var stageSeconds: [SecAggStage: Double]
        public var unmaskSeconds: Double
    }

    public let parameters: SecAggParameters
    /// Clients that vanish before sending their message of a stage (and send nothing after).
    public var dropouts: [SecAggStage: Set<Int>]
    /// Clients handled in parallel per batch; the server takes their messages one by one.
    public var batchSize = 64

    public init(parameters: SecAggParameters, dropouts: [SecAggStage: Set<Int>] = [:]) {
        self.parameters = parameters
        self.dropouts = dropouts
    }

    /// Aggregates `input(client)` (each `vectorLength` encoded values) over the clients that
    /// survive; throws what the protocol throws, such as too few survivors.
    public func run(input: @escaping @Sendable (Int) -> [UInt32]) throws(SecAggError) -> Outcome {
        let graph = NeighbourGraph(parameters)
        let clients = try (0..<parameters.clientCount).map { index throws(SecAggError) in
            ClientSlot(try SecAggClient(parameters: parameters, index: index, graph: graph))
        }
        var server = SecAggServer(parameters: parameters, graph: graph)
        var gone: Set<Int> = []
        var stageSeconds: [SecAggStage: Double] = [:]
        let clock = ContinuousClock()
        for stage in SecAggStage.allCases {
            let started = clock.now
            gone.formUnion(dropouts[stage] ?? [])
            let speakers = server.expected.subtracting(gone).sorted()
            let snapshot = server
            for batch in stride(from: 0, to: speakers.count, by: batchSize) {
                let members = Array(speakers[batch..<min(batch + batchSize, speakers.count)])
                let messages = try Self.step(members.map { clients[$0] }) { client throws(SecAggError) in
                    switch stage {
                    case .advertiseKeys: return .advertisedKeys(try client.advertiseKeys())
                    case .shareKeys: return .sharedKeys(try client.shareKeys(snapshot.neighbourKeys(for: client.index)))
                    case .maskedInput:
                        return .maskedInput(
                            try client.maskInput(snapshot.relayedShares(for: client.index), input: input(client.index)))
                    case .unmasking: return .revealedShares(try client.unmask(snapshot.unmaskingRequest()))
                    }
                }
                for message in messages { try server.receive(message) }
            }
            try server.closeStage()
            stageSeconds[stage] = Self.seconds(clock.now - started)
        }
        let unmaskStarted = clock.now
        let sum = try server.unmaskedSum()
        return Outcome(
            sum: sum, survivors: server.survivors, stageSeconds: stageSeconds,
            unmaskSeconds: Self.seconds(clock.now - unmaskStarted))
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    /// Runs `body` for each client on all cores and returns their messages in order.
    private static func step(
        _ members: [ClientSlot],
        _ body: @escaping @Sendable (inout SecAggClient) throws(SecAggError) -> SecAggClientMessage
    ) throws(SecAggError) -> [SecAggClientMessage] {
        let results = Mutex<[Int: Result<SecAggClientMessage, SecAggError>]>([:])
        DispatchQueue.concurrentPerform(iterations: members.count) { position in
            let outcome = members[position].state.withLock { client in
                Result { () throws(SecAggError) in try body(&client) }
            }
            results.withLock { $0[position] = outcome }
        }
        let collected = results.withLock { $0 }
        return try members.indices.map { position throws(SecAggError) in
            guard let outcome = collected[position] else {
                throw .malformedMessage("a simulated client gave no answer")
            }
            return try outcome.get()
        }
    }
}

/// One simulated client, locked while a worker thread advances it.
private final class ClientSlot: Sendable {
    let state: Mutex<SecAggClient>

    init(_ client: SecAggClient) { state = Mutex(client) }
}
