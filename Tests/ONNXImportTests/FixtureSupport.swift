import Foundation
import XCTest

/// The committed ONNX fixtures and ONNX Runtime's outputs on them (see Fixtures/make_fixtures.py).
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Fixtures")
    /// Models exported by PyTorch (TorchFixtures/make_torch_fixtures.py).
    static let torchDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "TorchFixtures")

    /// The bytes of `Fixtures/<name>.onnx` (or of another fixture folder).
    static func onnx(_ name: String, in folder: URL = directory) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: folder.appendingPathComponent("\(name).onnx")))
    }

    /// `Fixtures/<name>.json` (or another folder's): input rows and ONNX Runtime's output on them.
    static func reference(_ name: String, in folder: URL = directory) throws -> ORTReference {
        try JSONDecoder().decode(
            ORTReference.self, from: Data(contentsOf: folder.appendingPathComponent("\(name).json")))
    }
}

/// ONNX Runtime's output for fixed input rows, as written by make_fixtures.py.
struct ORTReference: Decodable {
    var inputShape: [Int]
    var outputIsLogits: Bool
    var rows: [[Float]]
    var output: [[Double]]

    /// ORT's probabilities: its output, or the softmax of it when the graph ends in logits.
    var probabilities: [[Double]] {
        guard outputIsLogits else { return output }
        return output.map { z in
            let m = z.max() ?? 0
            let e = z.map { exp($0 - m) }
            let sum = e.reduce(0, +)
            return e.map { $0 / sum }
        }
    }
}
