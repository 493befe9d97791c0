import Crypto

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// The server's side of SecAgg+, as a value: client messages go in, one stage at a time; the
/// caller closes each stage when every expected client has answered or its deadline passed, and
/// hands each client the server's reply for the next stage. After the unmasking stage it yields
/// the sum of the survivors' inputs and nothing else.
///
/// Masked inputs go into the sum as they come, so the server holds a vector or two, not the
/// cohort's (`clients × vectorLength × 4` bytes). Only the inputs an exclusion may still take back
/// out wait for the stage to close (``heldMaskedInputs``): one that names neighbours whose share
/// envelopes it could not open (``MaskedInput/excluded``), and one from a client a neighbour had
/// named by the time it came. When the stage closes, of every such pair one client is dropped, and
/// the pairwise masks a neighbour left out are not removed; a client named only after its input was
/// summed cannot be taken back out, so the neighbours that named it are dropped instead.
///
/// It refuses messages for another round or stage, from clients that dropped out of an earlier
/// stage, duplicates, and contents that break the protocol; a stage closing with fewer than the
/// threshold of clients aborts with ``SecAggError/tooFewSurvivors(stage:survivors:threshold:)``.
public struct SecAggServer: Sendable {
    public let parameters: SecAggParameters
    public let graph: NeighbourGraph
    /// The stage being collected; nil once the unmasking stage has closed.
    public private(set) var stage: SecAggStage?

    private var advertised: [Int: AdvertisedKeys] = [:]
    private var inboxes: [Int: [EncryptedShare]] = [:]
    private var sharedKeys: Set<Int> = []
    private var maskedSum: [UInt32]
    /// The masked inputs an exclusion may still take back out; summed into `maskedSum`, without the
    /// dropped clients', when the masked-input stage closes.
    private var heldVectors: [Int: [UInt32]] = [:]
    /// Clients whose masked inputs went into `maskedSum` as they came: they named nobody, and nobody
    /// had named them yet.
    private var summedOnArrival: Set<Int> = []
    /// Clients a neighbour named in its masked input.
    private var named: Set<Int> = []
    /// Clients that sent a masked input; once that stage closes, the survivors.
    private var maskedInputs: Set<Int> = []
    /// For each client, the neighbours whose envelopes it could not open and whose masks it left out.
    private var exclusions: [Int: Set<Int>] = [:]
    private var revealed: [Int: RevealedShares] = [:]
    /// Clients allowed to answer the current stage: those that answered the previous one.
    public private(set) var expected: Set<Int>

    public init(parameters: SecAggParameters, graph: NeighbourGraph? = nil) {
        self.parameters = parameters
        self.graph = graph ?? NeighbourGraph(parameters)
        stage = .advertiseKeys
        expected = Set(0..<parameters.clientCount)
        maskedSum = [UInt32](repeating: 0, count: parameters.vectorLength)
    }

    /// The clients that answered the current stage so far.
    public var answered: Set<Int> {
        switch stage {
        case .advertiseKeys: Set(advertised.keys)
        case .shareKeys: sharedKeys
        case .maskedInput: maskedInputs
        case .unmasking: Set(revealed.keys)
        case nil: []
        }
    }

    /// Whether every client that may answer the current stage has.
    public var stageComplete: Bool { answered.count == expected.count }

    /// Accepts one client message for the current stage, or says why not.
    public mutating func receive(_ message: SecAggClientMessage) throws(SecAggError) {
        guard message.roundId == parameters.roundId else {
            throw .wrongRound(expected: parameters.roundId, got: message.roundId)
        }
        guard let stage else { throw .wrongStage(expected: .unmasking, got: message.stage) }
        guard message.stage == stage else { throw .wrongStage(expected: stage, got: message.stage) }
        let client = message.client
        guard expected.contains(client) else { throw .unexpectedClient(client: client, stage: stage) }
        guard !answered.contains(client) else { throw .duplicate(client: client, stage: stage) }
        switch message {
        case .advertisedKeys(let keys):
            _ = try SecAggKeys.publicKey(Array(keys.encryptionKey))
            _ = try SecAggKeys.publicKey(Array(keys.maskingKey))
            advertised[client] = keys
        case .sharedKeys(let shares):
            try acceptShares(shares)
        case .maskedInput(let input):
            guard input.vector.count == parameters.vectorLength else {
                throw .malformedMessage(
                    "client \(client) sent \(input.vector.count) values, the round expects \(parameters.vectorLength)")
            }
            try acceptMaskedInput(from: client, excluding: input.excluded)
            guard input.excluded.isEmpty, !named.contains(client) else {
                heldVectors[client] = input.vector
                return
            }
            add(input.vector, subtracting: false)
            summedOnArrival.insert(client)
        case .revealedShares(let shares):
            try acceptRevealed(shares)
        }
    }

    /// Accepts the masked input of `client` whose vector another process keeps and adds to a sum
    /// of its own (a replica of the aggregator that took the client's message): the same checks as
    /// ``receive(_:)`` but the vector's, which the caller adds through ``addToMaskedSum(_:)`` once
    /// the stage has closed, if the client survived it.
    public mutating func acceptMaskedInputSummedElsewhere(from client: Int, excluding excluded: [Int])
        throws(SecAggError)
    {
        guard stage == .maskedInput else { throw .wrongStage(expected: stage ?? .unmasking, got: .maskedInput) }
        guard expected.contains(client) else { throw .unexpectedClient(client: client, stage: .maskedInput) }
        guard !maskedInputs.contains(client) else { throw .duplicate(client: client, stage: .maskedInput) }
        try acceptMaskedInput(from: client, excluding: excluded)
    }

    /// Adds `words` into the masked sum (subtracts them with `subtracting`), in Z/2^32, after the
    /// masked-input stage closed: the survivors' inputs another process summed
    /// (``acceptMaskedInputSummedElsewhere(from:excluding:)``), or an input it summed that
    /// exclusions left out of the survivors.
    public mutating func addToMaskedSum(_ words: [UInt32], subtracting: Bool = false) throws(SecAggError) {
        guard stage == .unmasking else { throw .wrongStage(expected: stage ?? .unmasking, got: .unmasking) }
        guard words.count == parameters.vectorLength else {
            throw .malformedMessage(
                "a sum of \(words.count) values, the round's vectors have \(parameters.vectorLength)")
        }
        add(words, subtracting: subtracting)
    }

    /// How many masked inputs of the open masked-input stage wait for it to close, since an
    /// exclusion may take them back out; every other input is already in the sum.
    public var heldMaskedInputs: Int { heldVectors.count }

    /// Stops waiting for `client` in the current stage, exactly as if the stage's deadline had passed
    /// without its message: for a caller that knows the client will not answer (its device was
    /// revoked). A client that already answered the stage keeps its answer. Returns whether the
    /// stage was waiting for it.
    @discardableResult
    public mutating func drop(_ client: Int) -> Bool {
        guard stage != nil, expected.contains(client), !answered.contains(client) else { return false }
        expected.remove(client)
        return true
    }

    /// Ends the current stage with the clients that answered; throws when fewer than the
    /// threshold did, after which the aggregation cannot go on.
    public mutating func closeStage() throws(SecAggError) {
        guard let current = stage else { throw .wrongStage(expected: .unmasking, got: .unmasking) }
        var survivors = answered
        if current == .maskedInput { survivors.subtract(excludedClients) }
        guard survivors.count >= parameters.threshold else {
            stage = nil
            throw .tooFewSurvivors(stage: current, survivors: survivors.count, threshold: parameters.threshold)
        }
        if current == .maskedInput { sumMaskedInputs(of: survivors) }
        expected = survivors
        switch current {
        case .advertiseKeys: stage = .shareKeys
        case .shareKeys: stage = .maskedInput
        case .maskedInput: stage = .unmasking
        case .unmasking: stage = nil
        }
    }

    /// The reply to `client` once the key-advertising stage closed: its neighbours' keys.
    public func neighbourKeys(for client: Int) -> NeighbourKeys {
        NeighbourKeys(
            roundId: parameters.roundId,
            keys: graph.neighbours(of: client).compactMap { advertised[$0] })
    }

    /// The reply to `client` once the key-sharing stage closed: the envelopes addressed to it.
    public func relayedShares(for client: Int) -> RelayedShares {
        RelayedShares(roundId: parameters.roundId, shares: inboxes[client] ?? [])
    }

    /// The reply to every survivor once the masked-input stage closed.
    public func unmaskingRequest() -> UnmaskingRequest {
        UnmaskingRequest(
            roundId: parameters.roundId, survivors: maskedInputs.sorted(),
            dropped: sharedKeys.subtracting(maskedInputs).sorted())
    }

    /// Clients whose inputs are in the sum.
    public var survivors: [Int] { maskedInputs.sorted() }

    /// After the unmasking stage closed: the sum of the survivors' encoded inputs in Z/2^32, with
    /// every mask removed. Spreads mask regeneration over `workers` threads.
    public func unmaskedSum(workers: Int = ProcessInfo.processInfo.activeProcessorCount) throws(SecAggError) -> [UInt32]
    {
        guard stage == nil, !revealed.isEmpty else {
            throw .wrongStage(expected: stage ?? .unmasking, got: .unmasking)
        }
        let jobs = try maskRemovalJobs()
        return try MaskRemoval.apply(jobs, to: maskedSum, roundId: parameters.roundId, workers: workers)
    }

    /// The clients dropped for exclusions: for every pair in which one client excluded the other,
    /// at least one of the two, so that no surviving pair has a mask only one side added. Chosen
    /// greedily: while such pairs remain, every client in the most of them is dropped. A client
    /// whose envelopes no neighbour could open, or one that excludes every neighbour, is dropped
    /// alone; a lone pair with nothing to tell its two apart goes whole. A client whose input was
    /// summed as it came is never dropped: a neighbour that named it is, whose own input, naming
    /// someone, is held. Either way the sum stays exact: a dropped client's input is left out and
    /// its masks are removed.
    public var excludedClients: Set<Int> {
        var dropped = Set(
            exclusions.compactMap { accuser, accused in accused.isDisjoint(with: summedOnArrival) ? nil : accuser })
        var pairs = exclusions.filter { !dropped.contains($0.key) }.flatMap { accuser, accused in
            accused.map { Set([accuser, $0]) }
        }
        while !pairs.isEmpty {
            var count: [Int: Int] = [:]
            for pair in pairs { for client in pair { count[client, default: 0] += 1 } }
            let most = count.values.max() ?? 0
            let drop = Set(count.filter { $0.value == most }.keys)
            dropped.formUnion(drop)
            pairs.removeAll { !$0.isDisjoint(with: drop) }
        }
        return dropped
    }

    private mutating func acceptMaskedInput(from client: Int, excluding list: [Int]) throws(SecAggError) {
        let senders = Set(graph.neighbours(of: client)).intersection(sharedKeys).subtracting([client])
        let excluded = Set(list)
        guard excluded.count == list.count, excluded.isSubset(of: senders) else {
            throw .malformedMessage("client \(client) may only exclude neighbours that sent it shares, each once")
        }
        exclusions[client] = excluded
        named.formUnion(excluded)
        maskedInputs.insert(client)
    }

    /// Adds the held inputs of the survivors; the others' went in as they came.
    private mutating func sumMaskedInputs(of survivors: Set<Int>) {
        for survivor in survivors.sorted() {
            guard let input = heldVectors[survivor] else { continue }
            add(input, subtracting: false)
        }
        heldVectors = [:]
        maskedInputs = survivors
    }

    private mutating func add(_ words: [UInt32], subtracting: Bool) {
        maskedSum.withUnsafeMutableBufferPointer { sum in
            words.withUnsafeBufferPointer { vector in
                if subtracting {
                    for index in 0..<sum.count { sum[index] &-= vector[index] }
                } else {
                    for index in 0..<sum.count { sum[index] &+= vector[index] }
                }
            }
        }
    }

    private mutating func acceptShares(_ message: SharedKeys) throws(SecAggError) {
        let client = message.client
        let recipients = Set(graph.neighbours(of: client)).intersection(advertised.keys)
        guard message.shares.count == recipients.count, Set(message.shares.map(\.to)) == recipients else {
            throw .malformedMessage(
                "client \(client) must send one envelope to each of its \(recipients.count) advertised neighbours")
        }
        guard message.shares.allSatisfy({ $0.from == client && $0.ciphertext.count == SecAggClient.envelopeBytes })
        else {
            throw .malformedMessage("client \(client) sent an envelope with the wrong sender or length")
        }
        for envelope in message.shares { inboxes[envelope.to, default: []].append(envelope) }
        sharedKeys.insert(client)
    }

    private mutating func acceptRevealed(_ message: RevealedShares) throws(SecAggError) {
        let holder = message.client
        let dropped = sharedKeys.subtracting(maskedInputs)
        for revealedShare in message.selfMaskShares {
            try check(revealedShare, holder: holder, owners: maskedInputs, bytes: SecAggClient.selfMaskSecretBytes)
        }
        for revealedShare in message.maskingKeyShares {
            try check(revealedShare, holder: holder, owners: dropped, bytes: SecAggClient.maskingKeyBytes)
        }
        let owners = (message.selfMaskShares + message.maskingKeyShares).map(\.owner)
        guard Set(owners).count == owners.count else {
            throw .malformedMessage("client \(holder) revealed two shares for one client")
        }
        revealed[holder] = message
    }

    private func check(_ revealed: RevealedShare, holder: Int, owners: Set<Int>, bytes: Int) throws(SecAggError) {
        guard owners.contains(revealed.owner), revealed.share.bytes.count == bytes,
            graph.sharePoint(owner: revealed.owner, holder: holder) == revealed.share.x
        else {
            throw .malformedMessage("client \(holder) revealed a share of client \(revealed.owner) that it cannot hold")
        }
    }

    /// One self mask per survivor and, per dropped client, the pairwise masks of the surviving
    /// neighbours that masked with it; a dropped client's key is rebuilt only when some survivor
    /// masked with it.
    private func maskRemovalJobs() throws(SecAggError) -> [MaskRemoval.Job] {
        var selfMaskShares: [Int: [ShamirShare]] = [:]
        var maskingKeyShares: [Int: [ShamirShare]] = [:]
        for message in revealed.values {
            for item in message.selfMaskShares { selfMaskShares[item.owner, default: []].append(item.share) }
            for item in message.maskingKeyShares { maskingKeyShares[item.owner, default: []].append(item.share) }
        }
        var jobs: [MaskRemoval.Job] = []
        for survivor in maskedInputs.sorted() {
            let secret = try reconstruct(selfMaskShares[survivor] ?? [], owner: survivor)
            jobs.append(.selfMask(client: survivor, secret: secret))
        }
        for droppedClient in sharedKeys.subtracting(maskedInputs).sorted() {
            let maskedWith = graph.neighbours(of: droppedClient).filter { neighbour in
                maskedInputs.contains(neighbour) && !(exclusions[neighbour]?.contains(droppedClient) ?? false)
            }
            guard !maskedWith.isEmpty else { continue }
            let raw = try reconstruct(maskingKeyShares[droppedClient] ?? [], owner: droppedClient)
            let key = try SecAggKeys.privateKey(raw)
            guard let keys = advertised[droppedClient], key.publicKey.rawRepresentation == keys.maskingKey else {
                throw .integrityFailure(
                    "the masking key rebuilt for client \(droppedClient) does not match the one it advertised")
            }
            var survivors: [(client: Int, key: Curve25519.KeyAgreement.PublicKey)] = []
            for neighbour in maskedWith {
                guard let peer = advertised[neighbour] else { continue }
                survivors.append((neighbour, try SecAggKeys.publicKey(Array(peer.maskingKey))))
            }
            jobs.append(.pairwiseMasks(dropped: droppedClient, droppedKey: key, survivors: survivors))
        }
        return jobs
    }

    private func reconstruct(_ shares: [ShamirShare], owner: Int) throws(SecAggError) -> [UInt8] {
        guard shares.count >= parameters.shareThreshold else {
            throw .unrecoverableClient(client: owner, needed: parameters.shareThreshold, got: shares.count)
        }
        return try ShamirSharing.reconstruct(shares, threshold: parameters.shareThreshold)
    }
}
