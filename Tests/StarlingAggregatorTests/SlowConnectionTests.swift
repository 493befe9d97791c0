import Foundation
import StarlingCore
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

@testable import StarlingAggregator

/// Connections that never speak, speak too slowly or frame their bodies wrongly cannot hold the
/// aggregator's listeners: each is closed at its deadline or answered 400, silent connections
/// beyond a listener's cap make room for honest ones, and a real round completes meanwhile.
final class SlowConnectionTests: XCTestCase {
    func test_aChunkSizeThatOverflows_isAnswered400_notA500() async throws {
        let aggregator = try await TestAggregator.start()
        let request = [
            "POST /v1/admin/models HTTP/1.1", "Host: \(aggregator.authority)",
            "Authorization: Bearer \(try XCTUnwrap(aggregator.adminToken))", "Content-Type: application/json",
            "Transfer-Encoding: chunked", "", "FFFFFFFFFFFFFFFFFFFF", "abc", "",
        ].joined(separator: "\r\n")
        let exchange = try await RawTLSExchange.send(request, to: aggregator.endpoints.url, caPEM: aggregator.caPEM)
        XCTAssertEqual(exchange.statusLine, "HTTP/1.1 400 Bad Request", exchange.received)
        XCTAssertTrue(exchange.received.contains("invalid_request"), exchange.received)
        try await aggregator.stop()
    }

    func test_aBodyShorterThanItsContentLength_isClosedAtTheBodyDeadline() async throws {
        let limits = ConnectionLimits(
            firstRequestSeconds: 30, idleSeconds: 30, bodyReadSeconds: 1, maximumConnections: 64)
        let aggregator = try await TestAggregator.start(connectionLimits: limits)
        let request = [
            "POST /v1/admin/models HTTP/1.1", "Host: \(aggregator.authority)",
            "Authorization: Bearer \(try XCTUnwrap(aggregator.adminToken))", "Content-Type: application/json",
            "Content-Length: 100", "", "{\"name\"",
        ].joined(separator: "\r\n")
        let exchange = try await RawTLSExchange.send(
            request, to: aggregator.endpoints.url, caPEM: aggregator.caPEM, deadline: .seconds(30))
        XCTAssertTrue(exchange.serverClosed, "the aggregator waited for the rest of the body until the client gave up")
        try await aggregator.stop()
    }

    func test_aConnectionThatNeverSpeaks_isClosedAtTheFirstRequestDeadline_onEveryListener() async throws {
        let limits = ConnectionLimits(
            firstRequestSeconds: 1, idleSeconds: 30, bodyReadSeconds: 30, maximumConnections: 64)
        let aggregator = try await TestAggregator.start(connectionLimits: limits)
        for url in [aggregator.endpoints.url, aggregator.endpoints.deviceUrl] {
            let silent = try await SilentConnections.open(1, to: url)
            try await silent.waitUntilClosed(by: .seconds(30))
        }
        try await aggregator.stop()
    }

    func test_silentConnectionsBeyondTheCap_makeRoomForHonestOnes_andARealRoundCompletes() async throws {
        let limits = ConnectionLimits(
            firstRequestSeconds: 60, idleSeconds: 60, bodyReadSeconds: 30, maximumConnections: 8)
        let aggregator = try await TestAggregator.start(connectionLimits: limits)
        let publicFlood = try await SilentConnections.open(20, to: aggregator.endpoints.url)
        let deviceFlood = try await SilentConnections.open(20, to: aggregator.endpoints.deviceUrl)
        // A listener holds at most 8: the other 12 of each flood are closed by the aggregator.
        try await publicFlood.waitUntilClosed(atLeast: 12, by: .seconds(30))
        try await deviceFlood.waitUntilClosed(atLeast: 12, by: .seconds(30))

        let (round, member, task) = try await aggregator.startPlainRound(of: "m")
        let _: UpdateReceipt = try await member.client.post(
            APIPath.deviceUpdate(runId: task.runId, round: task.round),
            bytes: UpdateBody.make(try ModelArchitecture(parsing: "4-3-2"), value: 0.1))
        let finished = try await waitForEnd(of: round.id, aggregator)
        XCTAssertEqual(finished.state, .completed, finished.failureReason ?? "")
        let health: [String: String] = try await aggregator.admin.get(APIPath.healthz)
        XCTAssertEqual(health["status"], "ok")
        await member.client.shutdown()
        try await aggregator.stop()
    }
}
