import Crypto
import XCTest

@testable import SecureAggregation

/// The server and clients refuse what the protocol does not allow, and a refused message changes
/// nothing: the aggregation still completes.
final class SecAggMessageRulesTests: XCTestCase {
    private var parameters: SecAggParameters!
    private var clients: [SecAggClient] = []
    private var server: SecAggServer!

    override func setUpWithError() throws {
        parameters = try SecAggParameters(
            roundId: "rules", clientCount: 4, threshold: 3, vectorLength: 3, clippingRange: 1, graphSeed: 9)
        clients = try (0..<4).map { try SecAggClient(parameters: parameters, index: $0) }
        server = SecAggServer(parameters: parameters)
    }

    private func advertiseAll(except skipped: Set<Int> = []) throws -> [AdvertisedKeys] {
        var sent: [AdvertisedKeys] = []
        for index in clients.indices where !skipped.contains(index) {
            let keys = try clients[index].advertiseKeys()
            try server.receive(.advertisedKeys(keys))
            sent.append(keys)
        }
        try server.closeStage()
        return sent
    }

    private func shareAll() throws {
        for index in clients.indices {
            try server.receive(.sharedKeys(try clients[index].shareKeys(server.neighbourKeys(for: index))))
        }
        try server.closeStage()
    }

    func testWrongRoundWrongStageDuplicateAndLateMessagesAreRejected() throws {
        let keys = try clients[0].advertiseKeys()
        var foreign = keys
        foreign.roundId = "other"
        XCTAssertThrowsError(try server.receive(.advertisedKeys(foreign))) {
            XCTAssertEqual($0 as? SecAggError, .wrongRound(expected: "rules", got: "other"))
        }
        XCTAssertThrowsError(
            try server.receive(.maskedInput(MaskedInput(roundId: "rules", client: 0, vector: [1, 2, 3])))
        ) {
            XCTAssertEqual($0 as? SecAggError, .wrongStage(expected: .advertiseKeys, got: .maskedInput))
        }
        try server.receive(.advertisedKeys(keys))
        XCTAssertThrowsError(try server.receive(.advertisedKeys(keys))) {
            XCTAssertEqual($0 as? SecAggError, .duplicate(client: 0, stage: .advertiseKeys))
        }
        let second = try clients[1].advertiseKeys()
        try server.receive(.advertisedKeys(second))
        try server.receive(.advertisedKeys(try clients[2].advertiseKeys()))
        try server.closeStage()
        let late = try clients[3].advertiseKeys()
        XCTAssertThrowsError(try server.receive(.advertisedKeys(late))) {
            XCTAssertEqual($0 as? SecAggError, .wrongStage(expected: .shareKeys, got: .advertiseKeys))
        }
        let outsider = try clients[3].shareKeys(NeighbourKeys(roundId: "rules", keys: [keys, second]))
        XCTAssertThrowsError(try server.receive(.sharedKeys(outsider))) {
            XCTAssertEqual($0 as? SecAggError, .unexpectedClient(client: 3, stage: .shareKeys))
        }
        XCTAssertThrowsError(try clients[0].advertiseKeys(), "a client answers each stage once") {
            XCTAssertEqual($0 as? SecAggError, .wrongStage(expected: .shareKeys, got: .advertiseKeys))
        }
        XCTAssertEqual(server.answered, [])
        XCTAssertEqual(server.expected, [0, 1, 2])
    }

    func testMalformedContentIsRejectedAndTheAggregationStillCompletes() throws {
        _ = try advertiseAll()
        var shares = try clients[0].shareKeys(server.neighbourKeys(for: 0))
        let complete = shares
        shares.shares.removeLast()
        XCTAssertThrowsError(try server.receive(.sharedKeys(shares)), "an envelope missing")
        try server.receive(.sharedKeys(complete))
        for index in 1..<4 {
            try server.receive(.sharedKeys(try clients[index].shareKeys(server.neighbourKeys(for: index))))
        }
        try server.closeStage()
        XCTAssertThrowsError(
            try server.receive(.maskedInput(MaskedInput(roundId: "rules", client: 0, vector: [1, 2])))
        ) {
            XCTAssertEqual(
                $0 as? SecAggError, .malformedMessage("client 0 sent 2 values, the round expects 3"))
        }
        let inputs: [[UInt32]] = [[1, 2, 3], [10, 20, 30], [100, 200, 300], [1000, 2000, 3000]]
        for index in 0..<4 {
            try server.receive(
                .maskedInput(try clients[index].maskInput(server.relayedShares(for: index), input: inputs[index])))
        }
        try server.closeStage()
        for index in 0..<4 { try server.receive(.revealedShares(try clients[index].unmask(server.unmaskingRequest()))) }
        try server.closeStage()
        XCTAssertEqual(try server.unmaskedSum(), [1111, 2222, 3333])
    }

    func testSmallOrderPublicKeysAreRefused_andTheClientCanStillAdvertiseItsOwn() throws {
        let p: [UInt8] = [0xED] + [UInt8](repeating: 0xFF, count: 30) + [0x7F]  // 2^255 − 19, which is 0
        let smallOrder: [[UInt8]] = [
            [UInt8](repeating: 0, count: 32), [1] + [UInt8](repeating: 0, count: 31), p, [0xEE] + p.dropFirst(),
        ]
        let honest = try clients[0].advertiseKeys()
        for point in smallOrder {
            for (encryption, masking) in [(Data(point), honest.maskingKey), (honest.encryptionKey, Data(point))] {
                let keys = AdvertisedKeys(roundId: "rules", client: 0, encryptionKey: encryption, maskingKey: masking)
                XCTAssertThrowsError(try server.receive(.advertisedKeys(keys)), "\(point)") {
                    guard case .malformedMessage(let message) = $0 as? SecAggError else {
                        return XCTFail("\($0)")
                    }
                    XCTAssertTrue(message.contains("small order"), message)
                }
            }
        }
        try server.receive(.advertisedKeys(honest))
    }

    /// The small-order check is a comparison with a list: each listed point, with or without the
    /// top bit X25519 ignores, gives an all-zero agreement with fresh private keys (so it must be
    /// refused), and random points are neither listed nor give zeros.
    func testTheSmallOrderList_holdsExactlyPointsWhoseAgreementsAreAllZeros() throws {
        let orderEight: [[UInt8]] = [
            [
                0xE0, 0xEB, 0x7A, 0x7C, 0x3B, 0x41, 0xB8, 0xAE, 0x16, 0x56, 0xE3, 0xFA, 0xF1, 0x9F, 0xC4, 0x6A,
                0xDA, 0x09, 0x8D, 0xEB, 0x9C, 0x32, 0xB1, 0xFD, 0x86, 0x62, 0x05, 0x16, 0x5F, 0x49, 0xB8, 0x00,
            ],
            [
                0x5F, 0x9C, 0x95, 0xBC, 0xA3, 0x50, 0x8C, 0x24, 0xB1, 0xD0, 0xB1, 0x55, 0x9C, 0x83, 0xEF, 0x5B,
                0x04, 0x44, 0x5C, 0xC4, 0x58, 0x1C, 0x8E, 0x86, 0xD8, 0x22, 0x4E, 0xDD, 0xD0, 0x9F, 0x11, 0x57,
            ],
        ]
        let pMinusOne = [0xEC] + [UInt8](repeating: 0xFF, count: 30) + [0x7F]
        for point in orderEight + [pMinusOne, [UInt8](repeating: 0, count: 32)] {
            for raw in [point, Array(point.dropLast()) + [point[31] | 0x80]] {
                XCTAssertTrue(SecAggKeys.hasSmallOrder(raw), "\(raw)")
                let key = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: raw)
                let secret = try? Curve25519.KeyAgreement.PrivateKey().sharedSecretFromKeyAgreement(with: key)
                XCTAssertTrue(secret.map { $0.withUnsafeBytes { $0.allSatisfy { $0 == 0 } } } ?? true, "\(raw)")
            }
        }
        for _ in 0..<200 {
            let raw = Array(Curve25519.KeyAgreement.PrivateKey().publicKey.rawRepresentation)
            XCTAssertFalse(SecAggKeys.hasSmallOrder(raw))
            XCTAssertNoThrow(try SecAggKeys.publicKey(raw))
        }
    }

    func testAClientNeverRevealsBothSharesForOnePeer() throws {
        _ = try advertiseAll()
        try shareAll()
        var masked: [MaskedInput] = []
        for index in 0..<4 {
            masked.append(try clients[index].maskInput(server.relayedShares(for: index), input: [0, 0, 0]))
        }
        let both = UnmaskingRequest(roundId: "rules", survivors: [0, 1, 2], dropped: [2, 3])
        XCTAssertThrowsError(try clients[0].unmask(both)) {
            XCTAssertEqual(
                $0 as? SecAggError, .malformedMessage("the server named clients both surviving and dropped: [2]"))
        }
        let selfDropped = UnmaskingRequest(roundId: "rules", survivors: [1, 2, 3], dropped: [0])
        XCTAssertThrowsError(try clients[0].unmask(selfDropped))
        let honest = UnmaskingRequest(roundId: "rules", survivors: [0, 1, 2], dropped: [3])
        let revealed = try clients[0].unmask(honest)
        XCTAssertEqual(revealed.selfMaskShares.map(\.owner), [0, 1, 2])
        XCTAssertEqual(revealed.maskingKeyShares.map(\.owner), [3])
        let otherWay = UnmaskingRequest(roundId: "rules", survivors: [0, 1, 3], dropped: [2])
        XCTAssertThrowsError(try clients[0].unmask(otherWay), "a second request cannot flip a peer's status") {
            XCTAssertEqual($0 as? SecAggError, .wrongStage(expected: .unmasking, got: .unmasking))
        }
    }

    func testATamperedEnvelope_failsAuthenticationAtItsRecipient_whichExcludesItsSender() throws {
        _ = try advertiseAll()
        try shareAll()
        var relayed = server.relayedShares(for: 1)
        relayed.shares[0].ciphertext[20] ^= 0x01
        var recipient = clients[1]
        let masked = try recipient.maskInput(relayed, input: [0, 0, 0])
        XCTAssertEqual(masked.excluded, [relayed.shares[0].from])
        var swapped = server.relayedShares(for: 1)
        swapped.shares[0].from = swapped.shares[1].from
        XCTAssertThrowsError(
            try clients[1].maskInput(swapped, input: [0, 0, 0]), "an envelope passed off as another sender's")
    }

    func testTheServerRefusesSharesAHolderCannotHave() throws {
        _ = try advertiseAll()
        try shareAll()
        for index in 0..<3 {
            try server.receive(
                .maskedInput(try clients[index].maskInput(server.relayedShares(for: index), input: [0, 0, 0])))
        }
        _ = try clients[3].maskInput(server.relayedShares(for: 3), input: [0, 0, 0])
        try server.closeStage()
        XCTAssertEqual(server.unmaskingRequest().dropped, [3])
        var revealed = try clients[0].unmask(server.unmaskingRequest())
        revealed.selfMaskShares.append(RevealedShare(owner: 3, share: revealed.maskingKeyShares[0].share))
        XCTAssertThrowsError(try server.receive(.revealedShares(revealed)), "a self-mask share of a dropped client")
    }
}
