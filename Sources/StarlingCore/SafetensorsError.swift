/// Why bytes are not a valid safetensors file, or a requested tensor is unavailable; one sentence each.
public enum SafetensorsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Fewer than the 8 bytes of the header-length prefix.
    case tooShort(byteCount: Int)
    /// The declared header length exceeds the 100 MB limit.
    case headerTooLarge(length: UInt64, limit: Int)
    /// The declared header extends past the end of the file.
    case headerBeyondFile(length: UInt64, fileSize: Int)
    /// The header is not a JSON object of the expected form.
    case invalidHeaderJSON(String)
    /// A tensor entry has an unusable field (negative dimension, offsets not a pair, …).
    case invalidTensorEntry(name: String, reason: String)
    /// A tensor uses a dtype this implementation does not know.
    case unknownDType(name: String, dtype: String)
    /// A tensor's data range is reversed or lies outside the data section.
    case offsetsOutOfBounds(name: String, begin: Int, end: Int, dataSize: Int)
    /// A tensor's data does not start where the previous one ended (overlap or gap).
    case offsetsNotContiguous(name: String, begin: Int, expected: Int)
    /// The tensors do not cover the whole data section.
    case trailingData(covered: Int, dataSize: Int)
    /// A tensor's byte count differs from dtype size × number of elements.
    case sizeMismatch(name: String, expectedBytes: Int, actualBytes: Int)
    /// No tensor of that name exists.
    case tensorNotFound(String)
    /// The tensor is not a floating-point type convertible to Float.
    case notFloatTensor(name: String, dtype: SafetensorsDType)

    public var description: String {
        switch self {
        case .tooShort(let count):
            return "The safetensors data is \(count) bytes long, too short for the 8-byte header length."
        case .headerTooLarge(let length, let limit):
            return "The safetensors header length \(length) exceeds the limit of \(limit) bytes."
        case .headerBeyondFile(let length, let size):
            return "The safetensors header length \(length) goes beyond the end of the \(size)-byte file."
        case .invalidHeaderJSON(let reason):
            return "The safetensors header is not valid JSON: \(reason)."
        case .invalidTensorEntry(let name, let reason):
            return "The safetensors entry '\(name)' is invalid: \(reason)."
        case .unknownDType(let name, let dtype):
            return "The safetensors tensor '\(name)' has unknown dtype '\(dtype)'."
        case .offsetsOutOfBounds(let name, let begin, let end, let size):
            return
                "The safetensors tensor '\(name)' has data offsets [\(begin), \(end)] outside the \(size)-byte data section."
        case .offsetsNotContiguous(let name, let begin, let expected):
            return
                "The safetensors tensor '\(name)' starts at byte \(begin), expected \(expected) (tensor data overlaps or has a gap)."
        case .trailingData(let covered, let size):
            return "The safetensors tensors cover \(covered) of the \(size) data bytes."
        case .sizeMismatch(let name, let expected, let actual):
            return
                "The safetensors tensor '\(name)' has \(actual) data bytes, but its dtype and shape need \(expected)."
        case .tensorNotFound(let name):
            return "The safetensors file has no tensor named '\(name)'."
        case .notFloatTensor(let name, let dtype):
            return "The safetensors tensor '\(name)' has dtype \(dtype.rawValue), expected F32 or F64."
        }
    }
}
