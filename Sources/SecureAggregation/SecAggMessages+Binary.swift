#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension AdvertisedKeys: SecAggBinaryMessage {
    public static var kind: SecAggBinary.Kind { .advertisedKeys }

    public func write(to writer: inout SecAggBinaryWriter) {
        writer.write(string: roundId)
        writer.write(index: client)
        writer.write(bytes: encryptionKey)
        writer.write(bytes: maskingKey)
    }

    public init(from reader: inout SecAggBinaryReader) throws(SecAggError) {
        self.init(
            roundId: try reader.string(), client: try reader.index(), encryptionKey: Data(try reader.byteString()),
            maskingKey: Data(try reader.byteString()))
    }

    /// Round id length, client, two key lengths.
    static let minimumBytes = 2 + 4 + 2 + 2
}

extension NeighbourKeys: SecAggBinaryMessage {
    public static var kind: SecAggBinary.Kind { .neighbourKeys }

    public func write(to writer: inout SecAggBinaryWriter) {
        writer.write(string: roundId)
        writer.write(list: keys) { $1.write(to: &$0) }
    }

    public init(from reader: inout SecAggBinaryReader) throws(SecAggError) {
        let roundId = try reader.string()
        let keys = try reader.list(minimumBytes: AdvertisedKeys.minimumBytes) {
            (reader) throws(SecAggError) in try AdvertisedKeys(from: &reader)
        }
        self.init(roundId: roundId, keys: keys)
    }
}

extension EncryptedShare {
    func write(to writer: inout SecAggBinaryWriter) {
        writer.write(index: from)
        writer.write(index: to)
        writer.write(bytes: ciphertext)
    }

    init(from reader: inout SecAggBinaryReader) throws(SecAggError) {
        self.init(from: try reader.index(), to: try reader.index(), ciphertext: Data(try reader.byteString()))
    }

    static func list(from reader: inout SecAggBinaryReader) throws(SecAggError) -> [EncryptedShare] {
        try reader.list(minimumBytes: 4 + 4 + 2) { (reader) throws(SecAggError) in try EncryptedShare(from: &reader) }
    }
}

extension SharedKeys: SecAggBinaryMessage {
    public static var kind: SecAggBinary.Kind { .sharedKeys }

    public func write(to writer: inout SecAggBinaryWriter) {
        writer.write(string: roundId)
        writer.write(index: client)
        writer.write(list: shares) { $1.write(to: &$0) }
    }

    public init(from reader: inout SecAggBinaryReader) throws(SecAggError) {
        self.init(
            roundId: try reader.string(), client: try reader.index(), shares: try EncryptedShare.list(from: &reader))
    }
}

extension RelayedShares: SecAggBinaryMessage {
    public static var kind: SecAggBinary.Kind { .relayedShares }

    public func write(to writer: inout SecAggBinaryWriter) {
        writer.write(string: roundId)
        writer.write(list: shares) { $1.write(to: &$0) }
    }

    public init(from reader: inout SecAggBinaryReader) throws(SecAggError) {
        self.init(roundId: try reader.string(), shares: try EncryptedShare.list(from: &reader))
    }
}

extension UnmaskingRequest: SecAggBinaryMessage {
    public static var kind: SecAggBinary.Kind { .unmaskingRequest }

    public func write(to writer: inout SecAggBinaryWriter) {
        writer.write(string: roundId)
        writer.write(list: survivors) { $0.write(index: $1) }
        writer.write(list: dropped) { $0.write(index: $1) }
    }

    public init(from reader: inout SecAggBinaryReader) throws(SecAggError) {
        let roundId = try reader.string()
        let index = { (reader: inout SecAggBinaryReader) throws(SecAggError) in try reader.index() }
        self.init(
            roundId: roundId, survivors: try reader.list(minimumBytes: 4, index),
            dropped: try reader.list(minimumBytes: 4, index))
    }
}

extension RevealedShare {
    func write(to writer: inout SecAggBinaryWriter) {
        writer.write(index: owner)
        writer.write(share.x)
        writer.write(bytes: share.bytes)
    }

    init(from reader: inout SecAggBinaryReader) throws(SecAggError) {
        let owner = try reader.index()
        self.init(owner: owner, share: ShamirShare(x: try reader.byte(), bytes: try reader.byteString()))
    }

    static func list(from reader: inout SecAggBinaryReader) throws(SecAggError) -> [RevealedShare] {
        try reader.list(minimumBytes: 4 + 1 + 2) { (reader) throws(SecAggError) in try RevealedShare(from: &reader) }
    }
}

extension RevealedShares: SecAggBinaryMessage {
    public static var kind: SecAggBinary.Kind { .revealedShares }

    public func write(to writer: inout SecAggBinaryWriter) {
        writer.write(string: roundId)
        writer.write(index: client)
        writer.write(list: selfMaskShares) { $1.write(to: &$0) }
        writer.write(list: maskingKeyShares) { $1.write(to: &$0) }
    }

    public init(from reader: inout SecAggBinaryReader) throws(SecAggError) {
        self.init(
            roundId: try reader.string(), client: try reader.index(),
            selfMaskShares: try RevealedShare.list(from: &reader),
            maskingKeyShares: try RevealedShare.list(from: &reader))
    }
}
