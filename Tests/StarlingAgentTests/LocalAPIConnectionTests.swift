import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

@testable import StarlingAgent

/// A local process that opens connections to the agent's API and never speaks cannot hold them:
/// each is closed at the first-request deadline, and beyond the listener's cap the silent ones make
/// room for applications that do speak.
final class LocalAPIConnectionTests: XCTestCase {
    func test_aSilentConnection_isClosedAtTheFirstRequestDeadline() async throws {
        let limits = ConnectionLimits(
            firstRequestSeconds: 1, idleSeconds: 30, bodyReadSeconds: 30, maximumConnections: 8)
        try await withLocalAPI(model: try makeToyModel(), limits: limits) { client, _ in
            let silent = try await SilentConnections.open(1, to: client.baseURL)
            try await silent.waitUntilClosed(by: .seconds(30))
        }
    }

    func test_silentConnectionsBeyondTheCap_areClosed_andPredictionsAreStillAnswered() async throws {
        let limits = ConnectionLimits(
            firstRequestSeconds: 60, idleSeconds: 60, bodyReadSeconds: 30, maximumConnections: 4)
        try await withLocalAPI(model: try makeToyModel(), limits: limits) { client, _ in
            let flood = try await SilentConnections.open(20, to: client.baseURL)
            try await flood.waitUntilClosed(atLeast: 16, by: .seconds(30))
            let answer: Prediction = try await client.post(
                APIPath.agentPredict, json: PredictRequest(key: "k", features: [1, 0]))
            XCTAssertEqual(answer.label, "a")
        }
    }
}
