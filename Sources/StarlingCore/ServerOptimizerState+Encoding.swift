extension ServerOptimizerState {
    /// "SOS" and format version 1: the first four bytes of every encoded state.
    static let magic: [UInt8] = [0x53, 0x4F, 0x53, 0x01]
    /// Magic, step (UInt64), m count and v count (UInt32 each).
    static let headerSize = 20

    /// The state as one compact blob for the aggregator's database: the magic "SOS\u{1}", the step as a
    /// little-endian UInt64, the counts of m and v as little-endian UInt32, then m and v as little-endian IEEE 754
    /// binary32 values, 20 + 4·(|m| + |v|) bytes in all. Values round-trip bit for bit.
    public func encoded() -> [UInt8] {
        var bytes = Self.magic
        bytes.reserveCapacity(Self.headerSize + 4 * (m.count + v.count))
        bytes += [UInt64(step)].littleEndianBytes()
        bytes += [UInt32(m.count), UInt32(v.count)].littleEndianBytes()
        bytes += m.map(\.bitPattern).littleEndianBytes()
        bytes += v.map(\.bitPattern).littleEndianBytes()
        return bytes
    }

    /// Decodes `encoded()`'s format; throws `invalidEncoding` unless the magic, the counts and the length agree.
    /// Whether the values suit an optimiser is checked when it is built from the state.
    public init(decoding bytes: [UInt8]) throws(ServerOptimizerError) {
        guard bytes.count >= Self.headerSize else {
            throw .invalidEncoding("\(bytes.count) bytes is shorter than the \(Self.headerSize)-byte header")
        }
        guard Array(bytes[0..<4]) == Self.magic else {
            throw .invalidEncoding("the bytes do not start with the magic \"SOS\" and version 1")
        }
        let step = Array(bytes[4..<12]).decodeLittleEndian(UInt64.self)[0]
        let counts = Array(bytes[12..<20]).decodeLittleEndian(UInt32.self).map(Int.init)
        let expected = Self.headerSize + 4 * (counts[0] + counts[1])
        guard bytes.count == expected else {
            throw .invalidEncoding(
                "m and v hold \(counts[0]) and \(counts[1]) values: \(expected) bytes expected, not \(bytes.count)")
        }
        guard step <= UInt64(Int.max) else { throw .invalidEncoding("the step count \(step) is out of range") }
        let values = Array(bytes[Self.headerSize...]).decodeLittleEndian(UInt32.self).map(Float.init(bitPattern:))
        self.init(step: Int(step), m: Array(values[0..<counts[0]]), v: Array(values[counts[0]...]))
    }
}
