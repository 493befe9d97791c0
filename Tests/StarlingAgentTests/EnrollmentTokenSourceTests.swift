import Foundation
import XCTest

@testable import StarlingAgent

/// The enrollment token is read from where the operator put it, trimmed, and its absence is one
/// clear sentence.
final class EnrollmentTokenSourceTests: XCTestCase {
    func test_aTokenFile_isReadAndTrimmed() throws {
        let file = try makeTemporaryDirectory().appendingPathComponent("token")
        try "  enr_secret\n".write(to: file, atomically: true, encoding: .utf8)
        XCTAssertEqual(try EnrollmentTokenSource.file(file).read(), "enr_secret")
    }

    func test_theEnvironmentVariable_isRead_andAnUnsetOrEmptyOneIsMissing() throws {
        let variable = "STARLING_TEST_ENROLL_TOKEN_\(UInt32.random(in: 0...UInt32.max))"
        setenv(variable, "enr_from_env", 1)
        defer { unsetenv(variable) }
        XCTAssertEqual(try EnrollmentTokenSource.environment(variable: variable).read(), "enr_from_env")
        XCTAssertThrowsError(try EnrollmentTokenSource.environment(variable: variable + "_UNSET").read()) { error in
            guard case AgentError.enrollmentTokenMissing = error else { return XCTFail("\(error)") }
            XCTAssertEqual(
                "\(error)",
                "This device is not enrolled yet; give it an enrollment token with --enroll-token-file PATH or STARLING_ENROLL_TOKEN."
            )
        }
        XCTAssertThrowsError(try EnrollmentTokenSource.text(" \n").read())
    }

    func test_anUnreadableTokenFile_saysWhichFile() throws {
        let missing = try makeTemporaryDirectory().appendingPathComponent("absent")
        XCTAssertThrowsError(try EnrollmentTokenSource.file(missing).read()) { error in
            guard case AgentError.unreadableFile(let path, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(path, missing.path)
        }
    }
}
