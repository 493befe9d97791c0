import Foundation
import XCTest

/// Asserts that Prometheus' own checker, `promtool check metrics` (Debian package `prometheus`,
/// which `make test` installs), finds nothing wrong with a scrape: syntax, types, names, units and
/// help text.
public func assertPromtoolAccepts(_ exposition: String, file: StaticString = #filePath, line: UInt = #line) throws {
    guard let promtool = findExecutable(named: "promtool") else {
        return XCTFail(
            "promtool is not installed; `make test` installs it (Debian package prometheus)", file: file, line: line)
    }
    let process = Process()
    process.executableURL = promtool
    process.arguments = ["check", "metrics"]
    let input = Pipe()
    let output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = output
    try process.run()
    input.fileHandleForWriting.write(Data(exposition.utf8))
    try input.fileHandleForWriting.close()
    let findings = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    XCTAssertEqual(
        process.terminationStatus, 0, "promtool check metrics: \(findings)\n\(exposition)", file: file, line: line)
}
