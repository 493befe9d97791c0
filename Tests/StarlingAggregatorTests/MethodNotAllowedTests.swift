import Foundation
import StarlingProtocol
import StarlingTransport
import XCTest

@testable import StarlingAggregator

/// Methods the API has no route for are refused at once on both listeners, CONNECT included.
final class MethodNotAllowedTests: XCTestCase {
    private let allow = "allow: get, post, put, delete\r\n"

    func test_connect_onAdminPublicAndDeviceRoutes_answers405_andClosesTheConnection() async throws {
        let aggregator = try await TestAggregator.start()
        let device = try await aggregator.enroll()
        let targets: [(url: String, path: String, identity: TLSIdentity?)] = [
            (aggregator.endpoints.url, APIPath.adminModels, nil),
            (aggregator.endpoints.url, APIPath.adminVersions(model: "m"), nil),
            (aggregator.endpoints.url, APIPath.healthz, nil),
            (aggregator.endpoints.deviceUrl, APIPath.deviceWatch, device.identity),
        ]
        for target in targets {
            // An answer to CONNECT has no body, so it ends only when the aggregator closes the connection.
            let exchange = try await RawTLSExchange.send(
                "CONNECT \(target.path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", to: target.url, caPEM: aggregator.caPEM,
                identity: target.identity)
            XCTAssertTrue(exchange.serverClosed, "CONNECT \(target.path): the connection stayed open")
            XCTAssertEqual(exchange.statusLine, "HTTP/1.1 405 Method Not Allowed", "CONNECT \(target.path)")
            XCTAssertTrue(exchange.received.lowercased().contains(allow), exchange.received.debugDescription)
        }
        let health: [String: String] = try await aggregator.admin.get(APIPath.healthz)
        XCTAssertEqual(health, ["status": "ok"])
        _ = try await device.watch()
        await device.client.shutdown()
        try await aggregator.stop()
    }

    func test_patchTraceAndHead_answer405MethodNotAllowed_onBothListeners() async throws {
        let aggregator = try await TestAggregator.start()
        let device = try await aggregator.enroll()
        let refusals: [(request: String, url: String, identity: TLSIdentity?)] = [
            ("PATCH \(APIPath.adminModels)", aggregator.endpoints.url, nil),
            ("TRACE \(APIPath.enroll)", aggregator.endpoints.url, nil),
            ("PATCH \(APIPath.deviceWatch)", aggregator.endpoints.deviceUrl, device.identity),
        ]
        for refusal in refusals {
            let exchange = try await RawTLSExchange.send(
                "\(refusal.request) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                to: refusal.url, caPEM: aggregator.caPEM, identity: refusal.identity)
            XCTAssertEqual(exchange.statusLine, "HTTP/1.1 405 Method Not Allowed", refusal.request)
            XCTAssertTrue(exchange.received.lowercased().contains(allow), exchange.received.debugDescription)
            XCTAssertTrue(
                exchange.received.contains(#""code":"method_not_allowed""#), exchange.received.debugDescription)
        }
        let head = try await RawTLSExchange.send(
            "HEAD \(APIPath.healthz) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
            to: aggregator.endpoints.url, caPEM: aggregator.caPEM)
        XCTAssertEqual(head.statusLine, "HTTP/1.1 405 Method Not Allowed")
        await device.client.shutdown()
        try await aggregator.stop()
    }
}
