import XCTest

/// Fails unless `actual` is within `relative` of `expected`, relative to the larger magnitude, or within
/// `absolute` of it.
func assertClose(
    _ actual: Double, _ expected: Double, relative: Double, absolute: Double = 0,
    _ message: @autoclosure () -> String = "",
    file: StaticString = #filePath, line: UInt = #line
) {
    if actual == expected { return }
    let difference = abs(actual - expected)
    let allowed = max(relative * max(abs(actual), abs(expected)), absolute)
    XCTAssert(
        difference <= allowed, "\(actual) is not within \(allowed) of \(expected): \(message())", file: file, line: line
    )
}
