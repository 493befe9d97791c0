import StarlingCore
import XCTest

@testable import SecureAggregation

/// A client the server drops mid-stage (its device was revoked) is treated exactly like one that
/// missed the stage's deadline: the stage completes without it, and the sum is the survivors'.
final class SecAggServerDropTests: XCTestCase {
    func test_droppingAClientThatHasNotAnswered_completesTheStage_andTheSumIsTheOthers() throws {
        let parameters = try SecAggParameters(
            roundId: "drop", clientCount: 4, threshold: 3, vectorLength: 5, clippingRange: 1, graphSeed: 9)
        var clients = try (0..<4).map { try SecAggClient(parameters: parameters, index: $0) }
        var server = SecAggServer(parameters: parameters)
        let inputs: [[UInt32]] = (0..<4).map { client in (0..<5).map { UInt32(client * 100 + $0) } }

        for index in 0..<4 { try server.receive(.advertisedKeys(try clients[index].advertiseKeys())) }
        try server.closeStage()
        for index in 0..<4 {
            try server.receive(.sharedKeys(try clients[index].shareKeys(server.neighbourKeys(for: index))))
        }
        try server.closeStage()

        let relayed = (0..<4).map { server.relayedShares(for: $0) }
        try server.receive(.maskedInput(try clients[0].maskInput(relayed[0], input: inputs[0])))
        XCTAssertFalse(server.drop(0), "a client that answered keeps its answer")
        XCTAssertTrue(server.drop(3))
        XCTAssertFalse(server.drop(3), "dropped once")
        XCTAssertFalse(server.stageComplete)
        for index in 1..<3 {
            try server.receive(.maskedInput(try clients[index].maskInput(relayed[index], input: inputs[index])))
        }
        XCTAssertTrue(server.stageComplete, "the stage no longer waits for the dropped client")
        let late = try clients[3].maskInput(relayed[3], input: inputs[3])
        XCTAssertThrowsError(try server.receive(.maskedInput(late))) { error in
            XCTAssertEqual(error as? SecAggError, .unexpectedClient(client: 3, stage: .maskedInput))
        }
        try server.closeStage()

        let request = server.unmaskingRequest()
        XCTAssertEqual(request.survivors, [0, 1, 2])
        XCTAssertEqual(request.dropped, [3])
        for index in 0..<3 { try server.receive(.revealedShares(try clients[index].unmask(request))) }
        try server.closeStage()
        let expected = (0..<5).map { position in (0..<3).reduce(UInt32(0)) { $0 &+ inputs[$1][position] } }
        XCTAssertEqual(try server.unmaskedSum(), expected)
    }
}
