import Foundation
import StarlingProtocol
import StarlingTransport
import XCTest

@testable import StarlingAgent

/// A round's call is sent again after a dropped link and after the refusals that mean "send it
/// again" (a busy round, a replica that does not lead, a database out of reach), and not after
/// any other answer.
final class RejoinTests: XCTestCase {
    func test_aCallRefusedByAReplicaThatDoesNotLead_orWithoutItsDatabase_isSentAgainUntilAnswered() async throws {
        let attempts = Attempts()
        let refusals: [StarlingHTTPError] = [
            .api(status: 503, code: APIErrorCode.notLeader.rawValue, message: "not the leader"),
            .transport("connection reset"),
            .api(status: 503, code: APIErrorCode.storageUnavailable.rawValue, message: "no database"),
        ]
        let answer = try await Rejoin.retrying(until: Date().addingTimeInterval(60)) {
            () throws(StarlingHTTPError) -> Int in
            let attempt = await attempts.next()
            if attempt < refusals.count { throw refusals[attempt] }
            return attempt
        }
        XCTAssertEqual(answer, 3, "answered on the fourth try")
    }

    func test_aClosedRound_endsTheRetriesAtOnce() async throws {
        let attempts = Attempts()
        do {
            _ = try await Rejoin.retrying(until: Date().addingTimeInterval(60)) { () throws(StarlingHTTPError) -> Int in
                _ = await attempts.next()
                throw .api(status: 409, code: APIErrorCode.roundClosed.rawValue, message: "closed")
            }
            XCTFail("a closed round was answered")
        } catch {
            let count = await attempts.count
            XCTAssertEqual(count, 1)
        }
    }
}

/// Counts the calls.
private actor Attempts {
    private(set) var count = 0

    func next() -> Int {
        defer { count += 1 }
        return count
    }
}
