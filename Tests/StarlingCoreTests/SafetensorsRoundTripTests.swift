import Foundation
import XCTest

@testable import StarlingCore

final class SafetensorsRoundTripTests: XCTestCase {
    private func sampleFile() -> SafetensorsFile {
        var rng = SeededRNG(seed: 8)
        let weights = Tensor(shape: [3, 5], values: (0..<15).map { _ in Float(rng.nextGaussian()) })
        let special = Tensor(
            shape: [6], values: [0, -0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude, -1e-30, 1])
        return SafetensorsFile(
            tensors: [
                "b.weights": SafetensorsFile.float32(weights),
                "a.special": SafetensorsFile.float32(special),
                "c.double": SafetensorsFile.float64(shape: [2], values: [0.1, -3]),
                "d.scalar": SafetensorsFile.float32(Tensor(shape: [], values: [7])),
                "e.empty": SafetensorsFile.float32(Tensor(shape: [0, 4], values: [])),
            ],
            metadata: ["json": #"{"a": [1, "x/y"]}"#, "ünïcode": "✓"])
    }

    func testWriteReadRoundTripIsBitExactForBytesAndValues() throws {
        let file = sampleFile()
        let bytes = file.encoded()
        let decoded = try SafetensorsFile(decoding: bytes)
        XCTAssertEqual(decoded, file)
        XCTAssertEqual(decoded.encoded(), bytes)
        for (name, tensor) in file.tensors where tensor.dtype == .f32 {
            let original = tensor.data.decodeLittleEndian(UInt32.self)
            let roundTripped = try decoded.floatTensor(name).values.map(\.bitPattern)
            XCTAssertEqual(roundTripped, original, name)
        }
    }

    func testEncodingPadsHeaderToEightBytesAndLaysOutDataSortedByName() throws {
        let bytes = sampleFile().encoded()
        let headerLength = Int(bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        XCTAssertEqual(headerLength % 8, 0)
        let header = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix("{"))
        XCTAssertTrue(header.contains(#""a.special":{"data_offsets":[0,24],"dtype":"F32","shape":[6]}"#), header)
        XCTAssertTrue(header.contains(#""b.weights":{"data_offsets":[24,84]"#), header)
        XCTAssertTrue(header.contains(#""d.scalar":{"data_offsets":[100,104],"dtype":"F32","shape":[]}"#), header)
        XCTAssertEqual(bytes.count, 8 + headerLength + 104)
    }

    func testEmptyFileHasNoMetadataEntryAndRoundTrips() throws {
        let bytes = SafetensorsFile(tensors: [:]).encoded()
        XCTAssertEqual(bytes.count, 16)
        XCTAssertEqual(String(decoding: bytes[8...], as: UTF8.self), "{}      ")
        XCTAssertEqual(try SafetensorsFile(decoding: bytes), SafetensorsFile(tensors: [:]))
    }

    /// Writes a bundle to $STARLING_SAFETENSORS_OUT (if set) so `make_fixture.py <path>` can check
    /// that the Python reference implementation reads Swift-written files.
    func testWritesSwiftFileForPythonCheckWhenRequested() throws {
        guard let path = ProcessInfo.processInfo.environment["STARLING_SAFETENSORS_OUT"] else { return }
        let architecture = try ModelArchitecture(parsing: "4-3-2")
        let manifest = try ModelManifest(
            name: "interop", version: 1, architecture: architecture, labels: ["a", "b"],
            preprocessing: .identity(featureCount: 4), confidenceThreshold: 0.5)
        let bundle = try ModelBundle(manifest: manifest, model: Model(architecture: architecture, seed: 1))
        try Data(bundle.encoded()).write(to: URL(fileURLWithPath: path))
        try Data(sampleFile().encoded()).write(to: URL(fileURLWithPath: path + ".sample.safetensors"))
    }
}
