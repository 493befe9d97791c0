import Foundation
import XCTest

@testable import StarlingCore

/// Locations of test data, resolved relative to this source file.
enum TestPaths {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let fixtures = testsDirectory.appendingPathComponent("Fixtures")
    /// The UCI digits data the product ships: <repo>/data/digits.csv.
    static let digitsCSV =
        testsDirectory
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("data")
        .appendingPathComponent("digits.csv")
}

/// Asserts that `body` throws exactly `expected`.
func assertThrows<E: Error & Equatable, T>(
    _ body: @autoclosure () throws(E) -> T,
    equalTo expected: E,
    file: StaticString = #filePath,
    line: UInt = #line
) {
    do {
        _ = try body()
        XCTFail("expected \(expected), but nothing was thrown", file: file, line: line)
    } catch {
        XCTAssertEqual(error, expected, file: file, line: line)
    }
}

/// Returns the typed error thrown by `body`, failing the test if nothing is thrown.
func thrownError<E: Error, T>(
    _ body: () throws(E) -> T, file: StaticString = #filePath, line: UInt = #line
) -> E? {
    do {
        _ = try body()
        XCTFail("expected an error, but nothing was thrown", file: file, line: line)
        return nil
    } catch {
        return error
    }
}

/// Fails unless every `actual[i]` is within `relative · |expected[i]|`, or `absolute`, of `expected[i]`.
func assertClose(
    _ actual: [Float], _ expected: [Double], relative: Double, absolute: Double = 0, _ message: String = "",
    file: StaticString = #filePath, line: UInt = #line
) {
    guard actual.count == expected.count else {
        return XCTFail("\(actual.count) values, expected \(expected.count): \(message)", file: file, line: line)
    }
    for (index, (value, reference)) in zip(actual, expected).enumerated() {
        let allowed = max(relative * abs(reference), absolute)
        XCTAssert(
            abs(Double(value) - reference) <= allowed,
            "[\(index)] \(value) is not within \(allowed) of \(reference): \(message)", file: file, line: line)
    }
}
