import Crypto

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// One client's side of SecAgg+, as a value that is fed the server's messages in order and answers
/// each with its own. It holds the client's secrets for one aggregation and refuses anything out of
/// order, for another round, or inconsistent with the neighbour graph.
///
/// The rule that keeps inputs hidden is enforced here: for any peer the client reveals either the
/// share of its self-mask secret (the peer survived) or the share of its masking key (the peer
/// dropped), never both.
public struct SecAggClient: Sendable {
    public let parameters: SecAggParameters
    public let index: Int
    /// The stage whose message the client sends next; nil once it has revealed its shares.
    public private(set) var stage: SecAggStage?

    private let graph: NeighbourGraph
    private let encryptionKey = Curve25519.KeyAgreement.PrivateKey()
    private let maskingKey = Curve25519.KeyAgreement.PrivateKey()
    /// The masking keys of the neighbours that advertised.
    private var peerMaskingKeys: [Int: Curve25519.KeyAgreement.PublicKey] = [:]
    /// The key that opens each peer's shares for this client, derived with the one that sealed this
    /// client's shares for the peer.
    private var openingKeys: [Int: SymmetricKey] = [:]
    private var selfMaskSecret: [UInt8] = []
    /// Shares this client holds, by the client whose secrets they are (itself included).
    private var heldShares: [Int: (selfMask: ShamirShare, maskingKey: ShamirShare)] = [:]
    /// Neighbours whose shares arrived: the peers this client masks with.
    private var maskingPeers: [Int] = []

    static let selfMaskSecretBytes = 16
    static let maskingKeyBytes = 32
    /// AES-GCM combined envelope: 12-byte nonce, both shares, 16-byte tag.
    static let envelopeBytes = 12 + selfMaskSecretBytes + maskingKeyBytes + 16

    /// A client of the aggregation with these parameters; `graph` may be passed in when many
    /// clients share one process.
    public init(parameters: SecAggParameters, index: Int, graph: NeighbourGraph? = nil) throws(SecAggError) {
        guard (0..<parameters.clientCount).contains(index) else {
            throw .invalidParameters("client index \(index) is outside 0..<\(parameters.clientCount)")
        }
        self.parameters = parameters
        self.index = index
        self.graph = graph ?? NeighbourGraph(parameters)
        stage = .advertiseKeys
    }

    /// Stage 1: the client's public keys.
    public mutating func advertiseKeys() throws(SecAggError) -> AdvertisedKeys {
        try expect(.advertiseKeys)
        stage = .shareKeys
        return AdvertisedKeys(
            roundId: parameters.roundId, client: index, encryptionKey: encryptionKey.publicKey.rawRepresentation,
            maskingKey: maskingKey.publicKey.rawRepresentation)
    }

    /// Stage 2: splits a fresh self-mask secret and the masking key among the neighbours that
    /// advertised (and the client itself) and seals each neighbour's shares for it.
    public mutating func shareKeys(_ message: NeighbourKeys) throws(SecAggError) -> SharedKeys {
        try expect(.shareKeys, round: message.roundId)
        var keys: [Int: (Curve25519.KeyAgreement.PublicKey, Curve25519.KeyAgreement.PublicKey)] = [:]
        for advertised in message.keys {
            guard graph.areNeighbours(index, advertised.client), advertised.roundId == parameters.roundId else {
                throw .malformedMessage("keys of client \(advertised.client), who is not a neighbour of \(index)")
            }
            guard keys[advertised.client] == nil else {
                throw .malformedMessage("keys of client \(advertised.client) appear twice")
            }
            keys[advertised.client] = (
                try SecAggKeys.publicKey(Array(advertised.encryptionKey)),
                try SecAggKeys.publicKey(Array(advertised.maskingKey))
            )
        }
        guard keys.count + 1 >= parameters.shareThreshold else {
            throw .tooFewSurvivors(
                stage: .advertiseKeys, survivors: keys.count + 1, threshold: parameters.shareThreshold)
        }
        var random = BufferedSystemRandom()
        selfMaskSecret = (0..<Self.selfMaskSecretBytes).map { _ in UInt8.random(in: 0...255, using: &random) }
        let holders = (Array(keys.keys) + [index]).sorted()
        let points = holders.compactMap { graph.sharePoint(owner: index, holder: $0) }
        let selfMaskShares = try ShamirSharing.split(
            selfMaskSecret, threshold: parameters.shareThreshold, points: points, using: &random)
        let maskingKeyShares = try ShamirSharing.split(
            Array(maskingKey.rawRepresentation), threshold: parameters.shareThreshold, points: points, using: &random)
        var envelopes: [EncryptedShare] = []
        var opening: [Int: SymmetricKey] = [:]
        let peers = holders.compactMap { holder in keys[holder].map { (holder, $0.0) } }
        let secrets = try X25519Agreements.secrets(encryptionKey, with: peers.map(\.1))
        let agreed = Dictionary(uniqueKeysWithValues: zip(peers.map(\.0), secrets))
        for (position, holder) in holders.enumerated() {
            guard holder != index, let secret = agreed[holder] else {
                heldShares[index] = (selfMaskShares[position], maskingKeyShares[position])
                continue
            }
            let keys = SecAggKeys.shareKeys(secret, roundId: parameters.roundId, me: index, peer: holder)
            opening[holder] = keys.receiving
            let key = keys.sending
            let plaintext = selfMaskShares[position].bytes + maskingKeyShares[position].bytes
            do {
                let sealed = try AES.GCM.seal(
                    plaintext, using: key,
                    authenticating: SecAggKeys.shareAssociatedData(roundId: parameters.roundId, from: index, to: holder)
                )
                guard let combined = sealed.combined else {
                    throw SecAggError.integrityFailure("AES-GCM gave no envelope")
                }
                envelopes.append(EncryptedShare(from: index, to: holder, ciphertext: combined))
            } catch {
                throw .integrityFailure("cannot seal shares for client \(holder): \(error)")
            }
        }
        peerMaskingKeys = keys.mapValues(\.1)
        openingKeys = opening
        stage = .maskedInput
        return SharedKeys(roundId: parameters.roundId, client: index, shares: envelopes)
    }

    /// Stage 3: opens the neighbours' shares and returns `input` (encoded, `vectorLength` long) plus
    /// the self mask and one pairwise mask per neighbour whose shares arrived and opened, added when
    /// this client's index is the smaller of the pair and subtracted otherwise, so pairs cancel.
    ///
    /// A neighbour whose envelope does not open (it fails authentication or holds the wrong number of
    /// bytes) is treated as dropped, not as a reason to give up: its shares are not kept, its pairwise
    /// mask is left out, and it is named in ``MaskedInput/excluded`` so the server drops it too.
    ///
    /// `input` is masked in place when the caller hands over its only reference.
    public mutating func maskInput(_ message: RelayedShares, input: consuming [UInt32]) throws(SecAggError)
        -> MaskedInput
    {
        try expect(.maskedInput, round: message.roundId)
        guard input.count == parameters.vectorLength else {
            throw .malformedMessage("the input has \(input.count) values, the round expects \(parameters.vectorLength)")
        }
        var opened: [Int: (selfMask: ShamirShare, maskingKey: ShamirShare)] = [:]
        var excluded: Set<Int> = []
        for envelope in message.shares {
            guard envelope.to == index, let key = openingKeys[envelope.from],
                let point = graph.sharePoint(owner: envelope.from, holder: index)
            else {
                throw .malformedMessage("shares from client \(envelope.from) to \(envelope.to) are not for this client")
            }
            guard opened[envelope.from] == nil, !excluded.contains(envelope.from) else {
                throw .malformedMessage("shares from client \(envelope.from) arrived twice")
            }
            guard let plaintext = try? open(envelope, key: key) else {
                excluded.insert(envelope.from)
                continue
            }
            opened[envelope.from] = (
                ShamirShare(x: point, bytes: Array(plaintext.prefix(Self.selfMaskSecretBytes))),
                ShamirShare(x: point, bytes: Array(plaintext.suffix(Self.maskingKeyBytes)))
            )
        }
        guard opened.count + 1 >= parameters.shareThreshold else {
            throw .tooFewSurvivors(stage: .shareKeys, survivors: opened.count + 1, threshold: parameters.shareThreshold)
        }
        heldShares.merge(opened) { current, _ in current }
        maskingPeers = opened.keys.sorted()
        var vector = consume input
        let generator = MaskGenerator()
        try generator.apply(
            seed: SecAggKeys.selfMaskSeed(selfMaskSecret, roundId: parameters.roundId, client: index), .add, to: &vector
        )
        let peers = maskingPeers.compactMap { peer in peerMaskingKeys[peer].map { (peer, $0) } }
        let secrets = try X25519Agreements.secrets(maskingKey, with: peers.map(\.1))
        for ((peer, _), secret) in zip(peers, secrets) {
            let seed = SecAggKeys.pairwiseMaskSeed(secret: secret, roundId: parameters.roundId, index, peer)
            try generator.apply(seed: seed, index < peer ? .add : .subtract, to: &vector)
        }
        openingKeys = [:]
        stage = .unmasking
        return MaskedInput(roundId: parameters.roundId, client: index, vector: vector, excluded: excluded.sorted())
    }

    /// Stage 4: reveals, for every client whose shares this one holds, the self-mask share if it
    /// survived or the masking-key share if it dropped. Refuses a request that names a client both
    /// ways, says this client dropped, or leaves fewer than the threshold of survivors.
    public mutating func unmask(_ request: UnmaskingRequest) throws(SecAggError) -> RevealedShares {
        try expect(.unmasking, round: request.roundId)
        let survivors = Set(request.survivors)
        let dropped = Set(request.dropped)
        guard survivors.isDisjoint(with: dropped) else {
            throw .malformedMessage(
                "the server named clients both surviving and dropped: \(survivors.intersection(dropped).sorted())")
        }
        guard survivors.contains(index) else {
            throw .malformedMessage("the server says this client dropped, yet asks it to unmask")
        }
        guard survivors.count >= parameters.threshold else {
            throw .tooFewSurvivors(stage: .maskedInput, survivors: survivors.count, threshold: parameters.threshold)
        }
        var selfMaskShares: [RevealedShare] = []
        var maskingKeyShares: [RevealedShare] = []
        for (owner, shares) in heldShares.sorted(by: { $0.key < $1.key }) {
            if survivors.contains(owner) {
                selfMaskShares.append(RevealedShare(owner: owner, share: shares.selfMask))
            } else if dropped.contains(owner) {
                maskingKeyShares.append(RevealedShare(owner: owner, share: shares.maskingKey))
            }
        }
        stage = nil
        return RevealedShares(
            roundId: parameters.roundId, client: index, selfMaskShares: selfMaskShares,
            maskingKeyShares: maskingKeyShares)
    }

    private func expect(_ wanted: SecAggStage, round: String? = nil) throws(SecAggError) {
        if let round, round != parameters.roundId {
            throw .wrongRound(expected: parameters.roundId, got: round)
        }
        guard let stage else { throw .wrongStage(expected: .unmasking, got: wanted) }
        guard stage == wanted else { throw .wrongStage(expected: stage, got: wanted) }
    }

    private func open(_ envelope: EncryptedShare, key: SymmetricKey) throws(SecAggError) -> [UInt8] {
        do {
            let box = try AES.GCM.SealedBox(combined: envelope.ciphertext)
            let plaintext = try AES.GCM.open(
                box, using: key,
                authenticating: SecAggKeys.shareAssociatedData(
                    roundId: parameters.roundId, from: envelope.from, to: index))
            guard plaintext.count == Self.selfMaskSecretBytes + Self.maskingKeyBytes else {
                throw SecAggError.malformedMessage("shares from client \(envelope.from) have the wrong length")
            }
            return Array(plaintext)
        } catch let error as SecAggError {
            throw error
        } catch {
            throw .integrityFailure("shares from client \(envelope.from) failed authentication")
        }
    }
}
