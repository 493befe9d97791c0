import Foundation

/// Features stored as a blob of float32 little-endian values: compact, and the same bytes on every
/// platform.
enum FeatureBlob {
    static func encode(_ features: [Float]) -> Data {
        var data = Data(capacity: features.count * 4)
        for value in features {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
        }
        return data
    }

    /// The features of a blob, or nil when its length is not a multiple of four.
    static func decode(_ data: Data) -> [Float]? {
        guard data.count % 4 == 0 else { return nil }
        var features: [Float] = []
        features.reserveCapacity(data.count / 4)
        var index = data.startIndex
        while index < data.endIndex {
            let bits = UInt32(data[index]) | UInt32(data[index + 1]) << 8 | UInt32(data[index + 2]) << 16
                | UInt32(data[index + 3]) << 24
            features.append(Float(bitPattern: bits))
            index += 4
        }
        return features
    }
}
