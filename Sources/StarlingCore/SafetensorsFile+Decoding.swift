extension SafetensorsFile {
    /// Parses and validates safetensors bytes: header length within the file and the 100 MB limit,
    /// header a JSON object, known dtypes, non-negative shapes, each tensor's byte range
    /// `dtype.byteSize × Π shape` long, and ranges tiling the data section exactly (no overlap, gap
    /// or trailing bytes), as the reference implementation requires.
    public init(decoding bytes: [UInt8]) throws(SafetensorsError) {
        guard bytes.count >= 8 else { throw .tooShort(byteCount: bytes.count) }
        let headerLength = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength <= UInt64(Self.maximumHeaderLength) else {
            throw .headerTooLarge(length: headerLength, limit: Self.maximumHeaderLength)
        }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw .headerBeyondFile(length: headerLength, fileSize: bytes.count)
        }
        let dataStart = 8 + Int(headerLength)
        let header = try SafetensorsHeader.parse(bytes[8..<dataStart])
        let dataSize = bytes.count - dataStart

        var located: [(name: String, begin: Int, end: Int, dtype: SafetensorsDType, shape: [Int])] = []
        for (name, entry) in header.tensors {
            guard let dtype = SafetensorsDType(rawValue: entry.dtype) else {
                throw .unknownDType(name: name, dtype: entry.dtype)
            }
            guard entry.shape.allSatisfy({ $0 >= 0 }) else {
                throw .invalidTensorEntry(name: name, reason: "shape \(entry.shape) has a negative dimension")
            }
            guard entry.dataOffsets.count == 2 else {
                throw .invalidTensorEntry(
                    name: name, reason: "data_offsets must be [begin, end], got \(entry.dataOffsets)")
            }
            let begin = entry.dataOffsets[0], end = entry.dataOffsets[1]
            guard begin >= 0, begin <= end, end <= dataSize else {
                throw .offsetsOutOfBounds(name: name, begin: begin, end: end, dataSize: dataSize)
            }
            guard let expectedBytes = Self.byteCount(dtype: dtype, shape: entry.shape) else {
                throw .invalidTensorEntry(name: name, reason: "shape \(entry.shape) is too large")
            }
            guard expectedBytes == end - begin else {
                throw .sizeMismatch(name: name, expectedBytes: expectedBytes, actualBytes: end - begin)
            }
            located.append((name, begin, end, dtype, entry.shape))
        }

        located.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var covered = 0
        var tensors: [String: SafetensorsTensor] = [:]
        for entry in located {
            guard entry.begin == covered else {
                throw .offsetsNotContiguous(name: entry.name, begin: entry.begin, expected: covered)
            }
            covered = entry.end
            let data = Array(bytes[(dataStart + entry.begin)..<(dataStart + entry.end)])
            tensors[entry.name] = SafetensorsTensor(dtype: entry.dtype, shape: entry.shape, data: data)
        }
        guard covered == dataSize else { throw .trailingData(covered: covered, dataSize: dataSize) }
        self.init(tensors: tensors, metadata: header.metadata ?? [:])
    }

    /// dtype.byteSize × Π shape, or nil on overflow.
    static func byteCount(dtype: SafetensorsDType, shape: [Int]) -> Int? {
        var total = dtype.byteSize
        for dimension in shape {
            let (product, overflow) = total.multipliedReportingOverflow(by: dimension)
            if overflow { return nil }
            total = product
        }
        return total
    }
}
