import XCTest

@testable import StarlingCore

final class SafetensorsMalformedTests: XCTestCase {
    /// Builds a file from a raw header string and `dataSize` zero bytes of data.
    private func file(header: String, dataSize: Int = 0, declaredLength: UInt64? = nil) -> [UInt8] {
        let headerBytes = Array(header.utf8)
        let length = declaredLength ?? UInt64(headerBytes.count)
        return withUnsafeBytes(of: length.littleEndian, Array.init) + headerBytes
            + [UInt8](repeating: 0, count: dataSize)
    }

    private func decodeError(_ bytes: [UInt8]) -> SafetensorsError? {
        thrownError { () throws(SafetensorsError) in try SafetensorsFile(decoding: bytes) }
    }

    func testRejectsInputShorterThanTheLengthPrefix() {
        XCTAssertEqual(decodeError([]), .tooShort(byteCount: 0))
        XCTAssertEqual(decodeError([1, 2, 3, 4, 5, 6, 7]), .tooShort(byteCount: 7))
    }

    func testRejectsHeaderLengthBeyondFileOrOverLimit() {
        XCTAssertEqual(decodeError(file(header: "{}", declaredLength: 3)), .headerBeyondFile(length: 3, fileSize: 10))
        XCTAssertEqual(
            decodeError(file(header: "{}", declaredLength: 200_000_000)),
            .headerTooLarge(length: 200_000_000, limit: 100_000_000))
        XCTAssertEqual(
            decodeError(file(header: "{}", declaredLength: .max)),
            .headerTooLarge(length: .max, limit: 100_000_000))
    }

    func testRejectsInvalidJSONHeaders() {
        for header in [
            "{not json", "[]", #"{"t": 3}"#, #"{"t": {"dtype": "F32", "shape": [1]}}"#,
            #"{"__metadata__": {"k": 1}}"#, #"{"t": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}}"#,
        ] {
            guard case .invalidHeaderJSON(let reason)? = decodeError(file(header: header, dataSize: 4)) else {
                XCTFail("header \(header) should be rejected as invalid JSON")
                continue
            }
            XCTAssertFalse(reason.isEmpty)
        }
    }

    func testRejectsUnknownDType() {
        let bytes = file(header: #"{"t": {"dtype": "F128", "shape": [1], "data_offsets": [0, 16]}}"#, dataSize: 16)
        XCTAssertEqual(decodeError(bytes), .unknownDType(name: "t", dtype: "F128"))
    }

    func testRejectsOffsetsOutOfBounds() {
        let bytes = file(header: #"{"t": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"#, dataSize: 4)
        XCTAssertEqual(decodeError(bytes), .offsetsOutOfBounds(name: "t", begin: 0, end: 8, dataSize: 4))
        let reversed = file(header: #"{"t": {"dtype": "F32", "shape": [0], "data_offsets": [4, 0]}}"#, dataSize: 4)
        XCTAssertEqual(decodeError(reversed), .offsetsOutOfBounds(name: "t", begin: 4, end: 0, dataSize: 4))
    }

    func testRejectsOverlappingOrGappedTensorsAndUncoveredData() {
        let overlapping = file(
            header:
                #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}"#,
            dataSize: 12)
        XCTAssertEqual(decodeError(overlapping), .offsetsNotContiguous(name: "b", begin: 4, expected: 8))
        let gap = file(header: #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}"#, dataSize: 8)
        XCTAssertEqual(decodeError(gap), .offsetsNotContiguous(name: "a", begin: 4, expected: 0))
        let trailing = file(header: #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#, dataSize: 8)
        XCTAssertEqual(decodeError(trailing), .trailingData(covered: 4, dataSize: 8))
    }

    func testRejectsByteRangeNotMatchingDTypeTimesShape() {
        let bytes = file(header: #"{"t": {"dtype": "F64", "shape": [2, 2], "data_offsets": [0, 16]}}"#, dataSize: 16)
        XCTAssertEqual(decodeError(bytes), .sizeMismatch(name: "t", expectedBytes: 32, actualBytes: 16))
        let negative = file(header: #"{"t": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 0]}}"#)
        guard case .invalidTensorEntry(name: "t", _)? = decodeError(negative) else {
            return XCTFail("negative dimension should be rejected")
        }
    }

    func testErrorMessagesAreOneReadableSentence() {
        XCTAssertEqual(
            SafetensorsError.sizeMismatch(name: "w", expectedBytes: 32, actualBytes: 16).description,
            "The safetensors tensor 'w' has 16 data bytes, but its dtype and shape need 32.")
        XCTAssertEqual(
            decodeError(file(header: "{not json"))?.description.hasPrefix("The safetensors header is not valid JSON: "),
            true)
    }
}
