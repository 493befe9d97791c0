/// ONNX `TensorProto.DataType` codes as the importer needs them: the float element type it accepts and
/// readable names for the ones it rejects.
enum ONNXDataType {
    /// `TensorProto.FLOAT`.
    static let float: Int32 = 1
    /// `TensorProto.INT64` (Reshape shapes).
    static let int64: Int32 = 7

    /// The ONNX spelling of a data type code, e.g. 11 → "DOUBLE", for error messages.
    static func name(_ code: Int32) -> String {
        guard let type = Onnx_TensorProto.DataType(rawValue: Int(code)) else { return "data type \(code)" }
        return String(describing: type).uppercased()
    }
}
