import Foundation
import ONNXImport
import StarlingCore

/// What `starling model import` registers through the import endpoint: a Starling safetensors
/// bundle as it is, or an MLP-shaped ONNX graph converted on this machine by `ONNXImporter`.
public enum ImportSource: Sendable {
    case safetensors(path: String)
    case onnx(path: String, name: String, labels: [String]?, confidenceThreshold: Double)

    /// The Starling safetensors bundle to upload.
    public func bundleBytes() throws(AdminError) -> [UInt8] {
        switch self {
        case .safetensors(let path):
            return try Self.read(path)
        case .onnx(let path, let name, let labels, let threshold):
            let bytes = try Self.read(path)
            do {
                return try ONNXImporter.bundle(
                    fromONNX: bytes, name: name, labels: labels, confidenceThreshold: threshold
                )
                .encoded()
            } catch {
                throw .failed("Cannot import \(path): \(error.description)")
            }
        }
    }

    private static func read(_ path: String) throws(AdminError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .configuration("Cannot read \(path).")
        }
        return [UInt8](data)
    }
}
