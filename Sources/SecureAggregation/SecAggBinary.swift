#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The compact wire form of the SecAgg+ stage messages (media type ``mediaType``), beside their
/// JSON: a thousand devices each send and receive dozens of keys and envelopes a stage, and
/// decoding them as JSON cost the aggregator a fifth of its time in a round.
///
/// Layout: one byte of format version (1), one byte naming the message (``Kind``), then the
/// message's fields in order. Integers are little-endian; a client index is 4 bytes, a string or
/// byte string a 2-byte length and its bytes, a list a 4-byte count and its elements. Every count
/// is checked against what is left of the body before anything is allocated, and trailing bytes
/// are refused, so a hostile body costs no more than its own length.
public enum SecAggBinary {
    /// The media type of a body in this form.
    public static let mediaType = "application/vnd.starling.secagg"
    static let version: UInt8 = 1

    /// Which message a body holds.
    public enum Kind: UInt8, Sendable {
        case advertisedKeys = 1, neighbourKeys, sharedKeys, relayedShares, unmaskingRequest, revealedShares
    }

    /// The message's bytes.
    public static func encode<Message: SecAggBinaryMessage>(_ message: Message) -> [UInt8] {
        var writer = SecAggBinaryWriter()
        writer.write(version)
        writer.write(Message.kind.rawValue)
        message.write(to: &writer)
        return writer.bytes
    }

    /// The message a body holds, or ``SecAggError/malformedMessage(_:)`` saying what is wrong with it.
    public static func decode<Message: SecAggBinaryMessage>(
        _ type: Message.Type, from bytes: UnsafeRawBufferPointer
    ) throws(SecAggError) -> Message {
        var reader = SecAggBinaryReader(bytes)
        guard try reader.byte() == version else { throw .malformedMessage("unknown version of the binary form") }
        guard try reader.byte() == Message.kind.rawValue else {
            throw .malformedMessage("the body holds another message than \(Message.self)")
        }
        let message = try Message(from: &reader)
        guard reader.isAtEnd else { throw .malformedMessage("bytes left over after \(Message.self)") }
        return message
    }

    /// ``decode(_:from:)`` of an array's bytes.
    public static func decode<Message: SecAggBinaryMessage>(
        _ type: Message.Type, from bytes: [UInt8]
    ) throws(SecAggError) -> Message {
        try bytes.withUnsafeBytes { raw in Result { () throws(SecAggError) in try decode(type, from: raw) } }.get()
    }
}

/// A stage message with a binary form (``SecAggBinary``).
public protocol SecAggBinaryMessage: Sendable {
    static var kind: SecAggBinary.Kind { get }
    func write(to writer: inout SecAggBinaryWriter)
    init(from reader: inout SecAggBinaryReader) throws(SecAggError)
}

/// Appends fields in the binary form.
public struct SecAggBinaryWriter {
    private(set) var bytes: [UInt8] = []

    mutating func write(_ byte: UInt8) { bytes.append(byte) }

    mutating func write(index: Int) {
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: index).littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func write<Bytes: Collection<UInt8>>(bytes field: Bytes) {
        let count = min(field.count, Int(UInt16.max))
        withUnsafeBytes(of: UInt16(count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: field.prefix(count))
    }

    mutating func write(string: String) { write(bytes: Array(string.utf8)) }

    mutating func write<Element>(list: [Element], _ element: (inout Self, Element) -> Void) {
        write(index: list.count)
        for item in list { element(&self, item) }
    }
}

/// Reads fields of the binary form, refusing any that would run past the body's end.
public struct SecAggBinaryReader {
    private let bytes: UnsafeRawBufferPointer
    private var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func byte() throws(SecAggError) -> UInt8 {
        try need(1)
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func index() throws(SecAggError) -> Int {
        try need(4)
        defer { offset += 4 }
        let value = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        guard value <= UInt32(Int32.max) else { throw .malformedMessage("a client index is out of range") }
        return Int(value)
    }

    mutating func byteString() throws(SecAggError) -> [UInt8] {
        try need(2)
        let count = Int(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
        offset += 2
        try need(count)
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    mutating func string() throws(SecAggError) -> String {
        guard let text = String(validating: try byteString(), as: UTF8.self) else {
            throw .malformedMessage("a text field is not UTF-8")
        }
        return text
    }

    /// A list whose elements take at least `minimumBytes` each: a count the rest of the body
    /// cannot hold is refused before any element is read.
    mutating func list<Element>(
        minimumBytes: Int, _ element: (inout Self) throws(SecAggError) -> Element
    ) throws(SecAggError) -> [Element] {
        let count = try index()
        guard count <= (bytes.count - offset) / max(1, minimumBytes) else {
            throw .malformedMessage("a list claims more elements than the body holds")
        }
        var list: [Element] = []
        list.reserveCapacity(count)
        for _ in 0..<count { list.append(try element(&self)) }
        return list
    }

    private func need(_ count: Int) throws(SecAggError) {
        guard count <= bytes.count - offset else { throw .malformedMessage("the body ends inside a field") }
    }
}
