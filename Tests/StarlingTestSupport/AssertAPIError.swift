import StarlingTransport
import XCTest

/// Asserts that an async call fails with a Starling API error of this status and code.
public func assertAPIError<T>(
    status: Int, code: String, file: StaticString = #filePath, line: UInt = #line,
    _ call: () async throws -> T
) async {
    do {
        _ = try await call()
        XCTFail("expected \(status) \(code), but the call succeeded", file: file, line: line)
    } catch let error as StarlingHTTPError {
        XCTAssertEqual(error.status, status, "\(error)", file: file, line: line)
        XCTAssertEqual(error.code, code, "\(error)", file: file, line: line)
    } catch {
        XCTFail("unexpected error \(error)", file: file, line: line)
    }
}
