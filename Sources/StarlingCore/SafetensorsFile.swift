#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One tensor of a safetensors file: dtype, shape and raw little-endian bytes.
public struct SafetensorsTensor: Sendable, Equatable {
    /// Element type.
    public var dtype: SafetensorsDType
    /// Dimension sizes, outermost first.
    public var shape: [Int]
    /// Raw little-endian element bytes, `dtype.byteSize × Π shape` of them.
    public var data: [UInt8]

    public init(dtype: SafetensorsDType, shape: [Int], data: [UInt8]) {
        self.dtype = dtype
        self.shape = shape
        self.data = data
    }
}

/// The safetensors container format (Hugging Face): u64 little-endian header length N, N bytes of
/// JSON header `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}`, then
/// the raw data section.
///
/// Starling ships models in this format so they are portable to standard tooling; this is a
/// dependency-free reader and writer.
public struct SafetensorsFile: Sendable, Equatable {
    /// Largest accepted header, as in the reference implementation.
    public static let maximumHeaderLength = 100_000_000

    /// Tensors by name.
    public var tensors: [String: SafetensorsTensor]
    /// Free-form string metadata (`__metadata__`).
    public var metadata: [String: String]

    public init(tensors: [String: SafetensorsTensor], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// Serialises deterministically: tensors sorted by name with contiguous data in that order,
    /// JSON keys sorted, header padded with spaces to a multiple of 8 bytes, `__metadata__` omitted
    /// when empty.
    public func encoded() -> [UInt8] {
        var entries: [String: SafetensorsHeader.Entry] = [:]
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            guard let tensor = tensors[name] else { continue }
            entries[name] = .init(
                dtype: tensor.dtype.rawValue, shape: tensor.shape, dataOffsets: [offset, offset + tensor.data.count])
            offset += tensor.data.count
        }
        var header = SafetensorsHeader(tensors: entries, metadata: metadata.isEmpty ? nil : metadata).jsonBytes()
        while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }

        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: header)
        for name in names {
            if let tensor = tensors[name] { bytes.append(contentsOf: tensor.data) }
        }
        return bytes
    }

    /// The named tensor as Float32 values; F64 data is rounded to Float.
    public func floatTensor(_ name: String) throws(SafetensorsError) -> Tensor {
        guard let tensor = tensors[name] else { throw .tensorNotFound(name) }
        let values: [Float]
        switch tensor.dtype {
        case .f32:
            values = tensor.data.decodeLittleEndian(UInt32.self).map { Float(bitPattern: $0) }
        case .f64:
            values = tensor.data.decodeLittleEndian(UInt64.self).map { Float(Double(bitPattern: $0)) }
        default:
            throw .notFloatTensor(name: name, dtype: tensor.dtype)
        }
        return Tensor(shape: tensor.shape, values: values)
    }

    /// An F32 safetensors tensor holding `tensor`'s values little-endian.
    public static func float32(_ tensor: Tensor) -> SafetensorsTensor {
        SafetensorsTensor(dtype: .f32, shape: tensor.shape, data: tensor.values.map(\.bitPattern).littleEndianBytes())
    }

    /// An F64 safetensors tensor holding `values` little-endian.
    public static func float64(shape: [Int], values: [Double]) -> SafetensorsTensor {
        SafetensorsTensor(dtype: .f64, shape: shape, data: values.map(\.bitPattern).littleEndianBytes())
    }
}

extension Array where Element: FixedWidthInteger {
    /// The integers as consecutive little-endian bytes.
    func littleEndianBytes() -> [UInt8] {
        let size = MemoryLayout<Element>.size
        return [UInt8](unsafeUninitializedCapacity: count * size) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            for (index, value) in enumerated() {
                raw.storeBytes(of: value.littleEndian, toByteOffset: index * size, as: Element.self)
            }
            initialized = count * size
        }
    }
}

extension Array where Element == UInt8 {
    /// Reads consecutive little-endian integers (trailing partial bytes are ignored).
    func decodeLittleEndian<T: FixedWidthInteger>(_: T.Type) -> [T] {
        let size = MemoryLayout<T>.size
        return withUnsafeBytes { raw in
            (0..<(raw.count / size)).map { T(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * size, as: T.self)) }
        }
    }
}
