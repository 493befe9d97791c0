import XCTest

@testable import SecureAggregation

/// A client whose share envelopes do not open at their recipients: each recipient excludes it (keeps
/// none of its shares, leaves out its mask), and the sum stays exactly that of the clients left. The
/// server sums inputs as they come and holds only those an exclusion may take back out, so a client
/// named before its input came is dropped, while one named after its input was summed stays and the
/// neighbours that named it are dropped instead. A client that excludes every neighbour is dropped
/// alone.
final class SecAggExclusionTests: XCTestCase {
    private let parameters = try! SecAggParameters(
        roundId: "exclusion", clientCount: 6, threshold: 4, vectorLength: 4, clippingRange: 1, graphSeed: 5)
    private var inputs: [[UInt32]] { (0..<6).map { client in (0..<4).map { UInt32(client * 1_000 + $0) } } }

    /// Runs every stage, the masked inputs coming in `order`; `tamper` may spoil a client's outgoing
    /// envelopes, `edit` client 0's masked input. `held` is how many inputs the server held when the
    /// last had come.
    private func aggregate(
        tamper: (inout SharedKeys) -> Void = { _ in }, edit: (inout MaskedInput) -> Void = { _ in },
        order: [Int] = Array(0..<6)
    ) throws -> (sum: [UInt32], survivors: [Int], excluded: [Int: [Int]], held: Int) {
        var clients = try (0..<6).map { try SecAggClient(parameters: parameters, index: $0) }
        var server = SecAggServer(parameters: parameters)
        for index in 0..<6 { try server.receive(.advertisedKeys(try clients[index].advertiseKeys())) }
        try server.closeStage()
        for index in 0..<6 {
            var shares = try clients[index].shareKeys(server.neighbourKeys(for: index))
            tamper(&shares)
            try server.receive(.sharedKeys(shares))
        }
        try server.closeStage()
        var excluded: [Int: [Int]] = [:]
        for index in order {
            var masked = try clients[index].maskInput(server.relayedShares(for: index), input: inputs[index])
            if index == 0 { edit(&masked) }
            excluded[index] = masked.excluded
            try server.receive(.maskedInput(masked))
        }
        let held = server.heldMaskedInputs
        try server.closeStage()
        let request = server.unmaskingRequest()
        for index in request.survivors { try server.receive(.revealedShares(try clients[index].unmask(request))) }
        try server.closeStage()
        return (try server.unmaskedSum(workers: 1), server.survivors, excluded, held)
    }

    /// Spoils client 0's envelopes to the clients in `recipients`.
    private func spoil(to recipients: Set<Int>) -> (inout SharedKeys) -> Void {
        { shares in
            guard shares.client == 0 else { return }
            for index in shares.shares.indices where recipients.contains(shares.shares[index].to) {
                shares.shares[index].ciphertext[30] ^= 0xFF
            }
        }
    }

    private func sum(of clients: [Int]) -> [UInt32] {
        (0..<4).map { position in clients.reduce(UInt32(0)) { $0 &+ inputs[$1][position] } }
    }

    func test_aClientWhoseEnvelopesNeverOpen_namedBeforeItsInputCame_isDropped_andTheSumIsTheOthers() throws {
        let result = try aggregate(tamper: spoil(to: Set(1..<6)), order: [1, 2, 3, 4, 5, 0])
        XCTAssertEqual(Set(result.excluded.filter { !$0.value.isEmpty }.keys), Set(1..<6))
        XCTAssertTrue(result.excluded.values.allSatisfy { $0.isEmpty || $0 == [0] })
        XCTAssertEqual(result.held, 6, "every input names client 0 or is its own")
        XCTAssertEqual(result.survivors, [1, 2, 3, 4, 5], "client 0 is dropped although it sent a masked input")
        XCTAssertEqual(result.sum, sum(of: [1, 2, 3, 4, 5]))
    }

    func test_aClientNamedAfterItsInputWasSummed_stays_andTheNeighbourThatNamedItIsDropped() throws {
        let result = try aggregate(tamper: spoil(to: [3]), order: [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(result.excluded[3], [0])
        XCTAssertEqual(result.held, 1, "only the input that names a neighbour waits for the stage to close")
        XCTAssertEqual(result.survivors, [0, 1, 2, 4, 5])
        XCTAssertEqual(result.sum, sum(of: [0, 1, 2, 4, 5]))
    }

    func test_aLonePairNamedBeforeEitherInputWasSummed_goesWhole() throws {
        let result = try aggregate(tamper: spoil(to: [3]), order: [3, 0, 1, 2, 4, 5])
        XCTAssertEqual(result.held, 2)
        XCTAssertEqual(result.survivors, [1, 2, 4, 5])
        XCTAssertEqual(result.sum, sum(of: [1, 2, 4, 5]))
    }

    func test_inputsThatNameNobody_areSummedAsTheyCome_andNoneIsHeld() throws {
        let result = try aggregate()
        XCTAssertEqual(result.held, 0)
        XCTAssertEqual(result.survivors, Array(0..<6))
        XCTAssertEqual(result.sum, sum(of: Array(0..<6)))
    }

    func test_aClientWhoseEnvelopesNeverOpen_summedBeforeItWasNamed_takesItsNamersOut_andTheStageFailsShort() throws {
        XCTAssertThrowsError(try aggregate(tamper: spoil(to: Set(1..<6)), order: [0, 1, 2, 3, 4, 5])) {
            guard case .tooFewSurvivors(.maskedInput, 1, 4) = $0 as? SecAggError else { return XCTFail("\($0)") }
        }
    }

    func test_aClientThatExcludesEveryNeighbour_isDroppedAlone_andTheSumIsTheOthers() throws {
        var accused: [Int] = []
        let result = try aggregate(edit: { masked in
            masked.excluded = NeighbourGraph(self.parameters).neighbours(of: 0)
            accused = masked.excluded
        })
        XCTAssertGreaterThan(accused.count, 1)
        XCTAssertEqual(result.survivors, [1, 2, 3, 4, 5])
        XCTAssertEqual(result.sum, sum(of: [1, 2, 3, 4, 5]))
    }

    func test_excludingAClientThatSentNoShares_isMalformed() throws {
        var clients = try (0..<6).map { try SecAggClient(parameters: parameters, index: $0) }
        var server = SecAggServer(parameters: parameters)
        for index in 0..<6 { try server.receive(.advertisedKeys(try clients[index].advertiseKeys())) }
        try server.closeStage()
        for index in 0..<6 {
            try server.receive(.sharedKeys(try clients[index].shareKeys(server.neighbourKeys(for: index))))
        }
        try server.closeStage()
        var masked = try clients[0].maskInput(server.relayedShares(for: 0), input: inputs[0])
        let strangers = Set(0..<6).subtracting(NeighbourGraph(parameters).neighbours(of: 0))
        for excluded in [[0], [Array(strangers).first ?? 0], [99]] {
            masked.excluded = excluded
            XCTAssertThrowsError(try server.receive(.maskedInput(masked)), "\(excluded)") {
                guard case .malformedMessage = $0 as? SecAggError else { return XCTFail("\($0)") }
            }
        }
    }
}
