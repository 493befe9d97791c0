/// Features stored as a blob of float32 little-endian values: compact, and the same bytes on every
/// platform.
enum FeatureBlob {
    static func encode(_ features: [Float]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(features.count * 4)
        for value in features {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        }
        return bytes
    }

    /// The features of a blob, or nil when its length is not a multiple of four.
    static func decode(_ bytes: [UInt8]) -> [Float]? {
        guard bytes.count % 4 == 0 else { return nil }
        return stride(from: 0, to: bytes.count, by: 4).map { index in
            let bits =
                UInt32(bytes[index]) | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2]) << 16
                | UInt32(bytes[index + 3]) << 24
            return Float(bitPattern: bits)
        }
    }
}
