import Foundation

/// A constant tensor of the graph (an initializer or a `Constant` node's value), decoded on demand.
///
/// Only what dense layers need: float32 values (from `float_data` or little-endian `raw_data`) and
/// int64 values for Reshape shapes. Anything else is rejected naming the data type and the tensor.
struct ONNXConstant {
    let name: String
    let proto: Onnx_TensorProto

    /// Dimension sizes, outermost first (Int64 → Int is exact on 64-bit platforms).
    var dims: [Int] { proto.dims.map { Int($0) } }

    /// Number of elements (product of the dimensions; 1 for a scalar); nil for a negative dimension or
    /// a product that overflows.
    var count: Int? {
        var product = 1
        for dim in proto.dims {
            guard dim >= 0, dim <= Int64(Int.max) else { return nil }
            let (next, overflow) = product.multipliedReportingOverflow(by: Int(dim))
            guard !overflow else { return nil }
            product = next
        }
        return product
    }

    /// The values of a FLOAT tensor.
    func floats() throws(ONNXImportError) -> [Float] {
        try checkStoredInline()
        guard proto.dataType == ONNXDataType.float else { throw wrongType(expected: "FLOAT") }
        if proto.hasRawData {
            let raw = proto.rawData
            let count = try checkCount(raw.count / 4, rawBytes: raw.count, width: 4)
            return (0..<count).map { index in
                let base = raw.startIndex + 4 * index
                let bits =
                    UInt32(raw[base]) | UInt32(raw[base + 1]) << 8
                    | UInt32(raw[base + 2]) << 16 | UInt32(raw[base + 3]) << 24
                return Float(bitPattern: bits)
            }
        }
        _ = try checkCount(proto.floatData.count, rawBytes: nil, width: 4)
        return proto.floatData
    }

    /// The values of an INT64 tensor.
    func int64s() throws(ONNXImportError) -> [Int64] {
        try checkStoredInline()
        guard proto.dataType == ONNXDataType.int64 else { throw wrongType(expected: "INT64") }
        if proto.hasRawData {
            let raw = proto.rawData
            let count = try checkCount(raw.count / 8, rawBytes: raw.count, width: 8)
            return (0..<count).map { index in
                let base = raw.startIndex + 8 * index
                var bits: UInt64 = 0
                for byte in 0..<8 { bits |= UInt64(raw[base + byte]) << (8 * byte) }
                return Int64(bitPattern: bits)
            }
        }
        _ = try checkCount(proto.int64Data.count, rawBytes: nil, width: 8)
        return proto.int64Data
    }

    private func checkStoredInline() throws(ONNXImportError) {
        guard proto.dataLocation != .external else {
            throw ONNXImportError(
                .malformedModel, subject: name,
                "The tensor '\(name)' is stored in an external file, which the importer does not read.")
        }
    }

    private func wrongType(expected: String) -> ONNXImportError {
        let actual = ONNXDataType.name(proto.dataType)
        return ONNXImportError(
            .unsupportedDataType, subject: actual,
            "The tensor '\(name)' has data type \(actual), but only \(expected) is supported here.")
    }

    /// Returns the element count after checking that the stored data holds exactly that many values.
    private func checkCount(_ actual: Int, rawBytes: Int?, width: Int) throws(ONNXImportError) -> Int {
        let whole = rawBytes.map { $0 % width == 0 } ?? true
        guard let count, actual == count, whole else {
            let held = rawBytes.map { "\($0) bytes" } ?? "\(actual) values"
            throw ONNXImportError(
                .malformedModel, subject: name,
                "The tensor '\(name)' of shape \(proto.dims) holds \(held), which does not match its shape.")
        }
        return count
    }
}
