import XCTest

@testable import SecureAggregation

/// A client whose share envelopes do not open at their recipients cannot fail the aggregation: each
/// recipient excludes it (keeps none of its shares, leaves out its mask), the server drops it even
/// if it sent a masked input, and the sum is exactly the other clients'. A client that excludes
/// every neighbour is dropped alone.
final class SecAggExclusionTests: XCTestCase {
    private let parameters = try! SecAggParameters(
        roundId: "exclusion", clientCount: 6, threshold: 4, vectorLength: 4, clippingRange: 1, graphSeed: 5)
    private var inputs: [[UInt32]] { (0..<6).map { client in (0..<4).map { UInt32(client * 1_000 + $0) } } }

    /// Runs every stage; `tamper` may spoil a client's outgoing envelopes, `edit` its masked input.
    private func aggregate(
        tamper: (inout SharedKeys) -> Void = { _ in }, edit: (inout MaskedInput) -> Void = { _ in }
    ) throws -> (sum: [UInt32], survivors: [Int], excluded: [[Int]]) {
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
        var excluded: [[Int]] = []
        for index in 0..<6 {
            var masked = try clients[index].maskInput(server.relayedShares(for: index), input: inputs[index])
            if index == 0 { edit(&masked) }
            excluded.append(masked.excluded)
            try server.receive(.maskedInput(masked))
        }
        try server.closeStage()
        let request = server.unmaskingRequest()
        for index in request.survivors { try server.receive(.revealedShares(try clients[index].unmask(request))) }
        try server.closeStage()
        return (try server.unmaskedSum(workers: 1), server.survivors, excluded)
    }

    private func sum(of clients: [Int]) -> [UInt32] {
        (0..<4).map { position in clients.reduce(UInt32(0)) { $0 &+ inputs[$1][position] } }
    }

    func test_aClientWhoseEnvelopesNeverOpen_isExcludedByEveryRecipient_andTheSumIsTheOthers() throws {
        let result = try aggregate(tamper: { shares in
            guard shares.client == 0 else { return }
            for index in shares.shares.indices { shares.shares[index].ciphertext[30] ^= 0xFF }
        })
        let recipients = result.excluded.indices.filter { result.excluded[$0] == [0] }
        XCTAssertFalse(recipients.isEmpty)
        XCTAssertTrue(result.excluded.enumerated().allSatisfy { $0.element.isEmpty || $0.element == [0] })
        XCTAssertEqual(result.survivors, [1, 2, 3, 4, 5], "client 0 is dropped although it sent a masked input")
        XCTAssertEqual(result.sum, sum(of: [1, 2, 3, 4, 5]))
    }

    func test_aClientThatExcludesEveryNeighbour_isDroppedAlone_andTheSumIsTheOthers() throws {
        var accused: [Int] = []
        let result = try aggregate(edit: { masked in
            masked.excluded = NeighbourGraph(self.parameters).neighbours[0].sorted()
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
        let strangers = Set(0..<6).subtracting(NeighbourGraph(parameters).neighbours[0])
        for excluded in [[0], [Array(strangers).first ?? 0], [99]] {
            masked.excluded = excluded
            XCTAssertThrowsError(try server.receive(.maskedInput(masked)), "\(excluded)") {
                guard case .malformedMessage = $0 as? SecAggError else { return XCTFail("\($0)") }
            }
        }
    }
}
