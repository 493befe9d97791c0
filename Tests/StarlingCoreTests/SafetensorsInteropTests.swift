import Foundation
import XCTest

@testable import StarlingCore

/// Reads `Fixtures/python_written.safetensors`, written by the reference Python package via
/// `Fixtures/make_fixture.py` (keep the expected values in sync with that script).
final class SafetensorsInteropTests: XCTestCase {
    private func loadFixture() throws -> SafetensorsFile {
        let url = TestPaths.fixtures.appendingPathComponent("python_written.safetensors")
        return try SafetensorsFile(decoding: Array(Data(contentsOf: url)))
    }

    func testReadsPythonWrittenTensorsAndMetadataExactly() throws {
        let file = try loadFixture()
        XCTAssertEqual(file.tensors.keys.sorted(), ["layers.0.bias", "layers.0.weight", "scale"])
        XCTAssertEqual(file.metadata, ["format": "np", "starling.note": "written by make_fixture.py"])

        // np.arange(12).reshape(3, 4) / 4 - 1
        XCTAssertEqual(
            try file.floatTensor("layers.0.weight"),
            Tensor(shape: [3, 4], values: (0..<12).map { Float($0) / 4 - 1 }))
        XCTAssertEqual(try file.floatTensor("layers.0.bias"), Tensor(shape: [3], values: [0.5, -2, 3.25]))

        let scale = try XCTUnwrap(file.tensors["scale"])
        XCTAssertEqual(scale.dtype, .f64)
        XCTAssertEqual(scale.shape, [2, 2])
        let doubles = scale.data.decodeLittleEndian(UInt64.self).map(Double.init(bitPattern:))
        XCTAssertEqual(doubles, [1.5, -0.125, 1e-3, 0x1p40])
        XCTAssertEqual(try file.floatTensor("scale").values, [1.5, -0.125, Float(1e-3 as Double), 0x1p40])
    }

    func testReencodingPythonFileKeepsEveryTensorAndIsStable() throws {
        let file = try loadFixture()
        let bytes = file.encoded()
        let decoded = try SafetensorsFile(decoding: bytes)
        XCTAssertEqual(decoded, file)
        XCTAssertEqual(decoded.encoded(), bytes)
    }

    func testFloatTensorRejectsMissingAndIntegerTensors() throws {
        let file = SafetensorsFile(tensors: ["i": SafetensorsTensor(dtype: .i32, shape: [1], data: [1, 0, 0, 0])])
        assertThrows(try file.floatTensor("i"), equalTo: SafetensorsError.notFloatTensor(name: "i", dtype: .i32))
        assertThrows(try file.floatTensor("nope"), equalTo: SafetensorsError.tensorNotFound("nope"))
    }
}
