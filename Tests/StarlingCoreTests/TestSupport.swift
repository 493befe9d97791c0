import Foundation
import XCTest
@testable import StarlingCore

/// Locations of test data, resolved relative to this source file.
enum TestPaths {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let fixtures = testsDirectory.appendingPathComponent("Fixtures")
    /// The UCI digits data the product ships: <repo>/data/digits.csv.
    static let digitsCSV = testsDirectory
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
