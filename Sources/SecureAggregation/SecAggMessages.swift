#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// The four stages of SecAgg+, in order.
public enum SecAggStage: String, Codable, Sendable, Comparable, CaseIterable {
    case advertiseKeys = "advertise_keys"
    case shareKeys = "share_keys"
    case maskedInput = "masked_input"
    case unmasking

    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs) ?? 0 < allCases.firstIndex(of: rhs) ?? 0
    }
}

/// Stage 1, client → server: the client's two X25519 public keys, one to encrypt shares with and
/// one to agree pairwise masks with.
public struct AdvertisedKeys: Codable, Sendable, Equatable {
    public var roundId: String
    public var client: Int
    public var encryptionKey: Data
    public var maskingKey: Data

    public init(roundId: String, client: Int, encryptionKey: Data, maskingKey: Data) {
        self.roundId = roundId
        self.client = client
        self.encryptionKey = encryptionKey
        self.maskingKey = maskingKey
    }
}

/// Stage 1, server → client: the advertised keys of the client's neighbours that advertised.
public struct NeighbourKeys: Codable, Sendable, Equatable {
    public var roundId: String
    public var keys: [AdvertisedKeys]

    public init(roundId: String, keys: [AdvertisedKeys]) {
        self.roundId = roundId
        self.keys = keys
    }
}

/// One client's shares for one neighbour, sealed so that only that neighbour can open them; the
/// server relays it without being able to read it.
public struct EncryptedShare: Codable, Sendable, Equatable {
    public var from: Int
    public var to: Int
    /// AES-GCM combined form (nonce, ciphertext, tag) of the share plaintext.
    public var ciphertext: Data

    public init(from: Int, to: Int, ciphertext: Data) {
        self.from = from
        self.to = to
        self.ciphertext = ciphertext
    }
}

/// Stage 2, client → server: shares of the client's self-mask secret and masking key, one
/// envelope per neighbour.
public struct SharedKeys: Codable, Sendable, Equatable {
    public var roundId: String
    public var client: Int
    public var shares: [EncryptedShare]

    public init(roundId: String, client: Int, shares: [EncryptedShare]) {
        self.roundId = roundId
        self.client = client
        self.shares = shares
    }
}

/// Stage 2, server → client: the envelopes addressed to the client.
public struct RelayedShares: Codable, Sendable, Equatable {
    public var roundId: String
    public var shares: [EncryptedShare]

    public init(roundId: String, shares: [EncryptedShare]) {
        self.roundId = roundId
        self.shares = shares
    }
}

/// Stage 3, client → server: the client's encoded input plus its self mask and pairwise masks,
/// all in Z/2^32, and the neighbours whose share envelopes did not open (`excluded`): the client
/// holds none of their shares and left out their pairwise masks, and the server treats them as
/// dropped.
public struct MaskedInput: Sendable, Equatable {
    public var roundId: String
    public var client: Int
    public var vector: [UInt32]
    public var excluded: [Int]

    public init(roundId: String, client: Int, vector: [UInt32], excluded: [Int] = []) {
        self.roundId = roundId
        self.client = client
        self.vector = vector
        self.excluded = excluded
    }
}

/// Stage 3, server → client: who sent a masked input (survivors) and who shared keys but did not
/// (dropped). A client reveals survivors' self-mask shares and dropped clients' masking-key
/// shares, never both for one client.
public struct UnmaskingRequest: Codable, Sendable, Equatable {
    public var roundId: String
    public var survivors: [Int]
    public var dropped: [Int]

    public init(roundId: String, survivors: [Int], dropped: [Int]) {
        self.roundId = roundId
        self.survivors = survivors
        self.dropped = dropped
    }
}

/// A share revealed in the unmasking stage, with the client whose secret it is part of.
public struct RevealedShare: Codable, Sendable, Equatable {
    public var owner: Int
    public var share: ShamirShare

    public init(owner: Int, share: ShamirShare) {
        self.owner = owner
        self.share = share
    }
}

/// Stage 4, client → server: the shares that let the server remove the masks.
public struct RevealedShares: Codable, Sendable, Equatable {
    public var roundId: String
    public var client: Int
    /// Shares of survivors' self-mask secrets.
    public var selfMaskShares: [RevealedShare]
    /// Shares of dropped clients' masking keys.
    public var maskingKeyShares: [RevealedShare]

    public init(roundId: String, client: Int, selfMaskShares: [RevealedShare], maskingKeyShares: [RevealedShare]) {
        self.roundId = roundId
        self.client = client
        self.selfMaskShares = selfMaskShares
        self.maskingKeyShares = maskingKeyShares
    }
}

/// Any message a client sends, tagged with the stage it belongs to.
public enum SecAggClientMessage: Sendable, Equatable {
    case advertisedKeys(AdvertisedKeys)
    case sharedKeys(SharedKeys)
    case maskedInput(MaskedInput)
    case revealedShares(RevealedShares)

    public var stage: SecAggStage {
        switch self {
        case .advertisedKeys: .advertiseKeys
        case .sharedKeys: .shareKeys
        case .maskedInput: .maskedInput
        case .revealedShares: .unmasking
        }
    }

    public var roundId: String {
        switch self {
        case .advertisedKeys(let message): message.roundId
        case .sharedKeys(let message): message.roundId
        case .maskedInput(let message): message.roundId
        case .revealedShares(let message): message.roundId
        }
    }

    public var client: Int {
        switch self {
        case .advertisedKeys(let message): message.client
        case .sharedKeys(let message): message.client
        case .maskedInput(let message): message.client
        case .revealedShares(let message): message.client
        }
    }
}

extension SecAggStage {
    /// The stage's name in HTTP paths.
    public var pathComponent: String {
        switch self {
        case .advertiseKeys: "keys"
        case .shareKeys: "shares"
        case .maskedInput: "masked-input"
        case .unmasking: "unmasking"
        }
    }

    public init?(pathComponent: String) {
        guard let stage = Self.allCases.first(where: { $0.pathComponent == pathComponent }) else { return nil }
        self = stage
    }
}

extension MaskedInput {
    /// The masked input's query item, `excluded=3,7`, when the client excluded neighbours; nil
    /// otherwise.
    public var excludedQueryItem: String? {
        excluded.isEmpty ? nil : "excluded=" + excluded.map(String.init).joined(separator: ",")
    }

    /// The vector as it travels: little-endian 32-bit words, nothing else.
    public var wireBytes: [UInt8] { Self.wire(vector) }

    /// Calls `body` with the vector's wire bytes: on a little-endian machine the vector's own
    /// storage, with no copy of its 400 kB (for 100k parameters) made on the way to the socket.
    public func withWireBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        #if _endian(little)
            try vector.withUnsafeBytes(body)
        #else
            try Self.wire(vector).withUnsafeBytes(body)
        #endif
    }

    /// Words as they travel and are stored: little-endian, four bytes each.
    public static func wire(_ words: [UInt32]) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: words.count * 4) { bytes, initialized in
            let raw = UnsafeMutableRawBufferPointer(bytes)
            for (index, word) in words.enumerated() {
                raw.storeBytes(of: word.littleEndian, toByteOffset: index * 4, as: UInt32.self)
            }
            initialized = words.count * 4
        }
    }

    /// The words of a wire body, or nil when its length is not a multiple of four.
    public static func words(fromWire bytes: [UInt8]) -> [UInt32]? {
        guard bytes.count % 4 == 0 else { return nil }
        return bytes.withUnsafeBytes { raw in
            [UInt32](unsafeUninitializedCapacity: bytes.count / 4) { words, initialized in
                for index in 0..<words.count {
                    words[index] = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self))
                }
                initialized = words.count
            }
        }
    }
}
