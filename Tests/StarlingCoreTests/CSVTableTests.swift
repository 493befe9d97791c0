import Foundation
import XCTest

@testable import StarlingCore

final class CSVTableTests: XCTestCase {
    func testParsesHeaderFeaturesAndLabelsWithWhitespaceQuotesCRLFAndTrailingNewline() throws {
        let text = "a, \"b\" ,label\r\n1,2,cat\r\n 3.5 ,\"-4\", \"dog\" \r\n\r\n"
        let table = try CSVTable.parse(text, labelColumn: "label")
        XCTAssertEqual(table.featureNames, ["a", "b"])
        XCTAssertEqual(table.features, [1, 2, 3.5, -4])
        XCTAssertEqual(table.labels, ["cat", "dog"])
        XCTAssertEqual(table.rowCount, 2)
    }

    func testLabelColumnMayBeAnywhereAndQuotedCommasDoNotSplit() throws {
        let table = try CSVTable.parse("label,x\n\"a, b\",1\nc,2", labelColumn: "label")
        XCTAssertEqual(table.featureNames, ["x"])
        XCTAssertEqual(table.labels, ["a, b", "c"])
        XCTAssertEqual(table.features, [1, 2])
    }

    func testReportsWrongFieldCountWithLineNumber() {
        let header = (0..<64).map { "pixel_\($0)" }.joined(separator: ",") + ",label\n"
        let good = Array(repeating: "0", count: 65).joined(separator: ",") + "\n"
        let short = Array(repeating: "0", count: 63).joined(separator: ",") + "\n"
        let text = header + String(repeating: good, count: 5) + short
        let error = thrownError { () throws(CSVError) in try CSVTable.parse(text, labelColumn: "label") }
        XCTAssertEqual(error, .wrongFieldCount(line: 7, found: 63, expected: 65))
        XCTAssertEqual(error?.description, "line 7 has 63 fields, expected 65")
    }

    func testReportsNonNumericValueWithLineAndColumn() {
        var lines = ["pixel_0,pixel_1,pixel_2,pixel_3,label"]
        lines += Array(repeating: "1,2,3,4,0", count: 10)
        lines.append("1,2,3,abc,0")
        let error = thrownError { () throws(CSVError) in
            try CSVTable.parse(lines.joined(separator: "\n"), labelColumn: "label")
        }
        XCTAssertEqual(error?.description, "line 12, column 'pixel_3': 'abc' is not a number")
    }

    func testRejectsEmptyInputMissingHeaderMissingLabelAndNonFiniteValues() {
        func parseError(_ text: String) -> CSVError? {
            thrownError { () throws(CSVError) in try CSVTable.parse(text, labelColumn: "label") }
        }
        XCTAssertEqual(parseError(""), .emptyInput)
        XCTAssertEqual(parseError(" \n\r\n"), .emptyInput)
        XCTAssertEqual(parseError("1,2,3\n4,5,6\n"), .missingHeader)
        XCTAssertEqual(parseError("a,b\n1,2\n"), .missingLabelColumn("label", available: ["a", "b"]))
        XCTAssertEqual(parseError("a,a,label\n"), .duplicateColumn("a"))
        XCTAssertEqual(parseError("a,label\nnan,1\n"), .notFinite(line: 2, column: "a", value: "nan"))
        XCTAssertEqual(parseError("a,label\n,1\n"), .notANumber(line: 2, column: "a", value: ""))
        XCTAssertEqual(parseError("a,label\n1,\n"), .emptyLabel(line: 2))
    }

    func testDistinctLabelsSortNumericallyWhenAllNumericElseLexicographically() throws {
        let numeric = try CSVTable.parse("x,label\n1,10\n1,9\n1,2\n1,10\n", labelColumn: "label")
        XCTAssertEqual(numeric.distinctLabels, ["2", "9", "10"])
        let text = try CSVTable.parse("x,label\n1,b\n1,a\n1,10\n", labelColumn: "label")
        XCTAssertEqual(text.distinctLabels, ["10", "a", "b"])
    }

    func testDatasetMapsLabelsToClassIndicesAndNamesUnknownLabelLine() throws {
        let table = try CSVTable.parse("x,label\n1,b\n\n2,a\n3,z\n", labelColumn: "label")
        let error = thrownError { () throws(CSVError) in try table.dataset(classes: ["a", "b"]) }
        XCTAssertEqual(error, .unknownLabel("z", line: 5))
        let dataset = try table.dataset(classes: ["a", "b", "z"])
        XCTAssertEqual(dataset.labels, [1, 0, 2])
        XCTAssertEqual(dataset.features, [1, 2, 3])
    }

    func testLoadReadsFilesAndReportsMissingFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("starling-csv-\(UUID()).csv")
        try Data("a,label\n1,x\n".utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        XCTAssertEqual(try CSVTable.load(contentsOf: url, labelColumn: "label").labels, ["x"])
        let missing = url.appendingPathExtension("missing")
        let error = thrownError { () throws(CSVError) in try CSVTable.load(contentsOf: missing, labelColumn: "label") }
        guard case .unreadableFile(let path, _)? = error else { return XCTFail("got \(String(describing: error))") }
        XCTAssertEqual(path, missing.path)
    }
}
