import Foundation
import XCTest

@testable import SecureAggregation

/// The binary form of the stage messages carries every field as JSON does, and a body that is cut
/// short, padded, mislabelled or lying about its counts is refused with a message, never trapped on.
final class SecAggBinaryTests: XCTestCase {
    /// The messages of one real SecAgg+ walk among four clients, in the order they travel.
    private func walk() throws -> (
        keys: [AdvertisedKeys], neighbours: NeighbourKeys, shared: SharedKeys, relayed: RelayedShares,
        request: UnmaskingRequest, revealed: RevealedShares
    ) {
        let parameters = try SecAggParameters(
            roundId: "run-7/round-2", clientCount: 4, threshold: 3, vectorLength: 5, clippingRange: 1, graphSeed: 11)
        var clients = try (0..<4).map { try SecAggClient(parameters: parameters, index: $0) }
        let keys = try clients.indices.map { try clients[$0].advertiseKeys() }
        let neighbours = (0..<4).map { index in
            NeighbourKeys(roundId: parameters.roundId, keys: keys.filter { $0.client != index })
        }
        let shared = try clients.indices.map { try clients[$0].shareKeys(neighbours[$0]) }
        let relayed = RelayedShares(
            roundId: parameters.roundId, shares: shared.flatMap(\.shares).filter { $0.to == 0 })
        _ = try clients[0].maskInput(relayed, input: [1, 2, 3, 4, 5])
        let request = UnmaskingRequest(roundId: parameters.roundId, survivors: [0, 1, 2], dropped: [3])
        let revealed = try clients[0].unmask(request)
        return (keys, neighbours[0], shared[0], relayed, request, revealed)
    }

    private func roundTrip<Message: SecAggBinaryMessage & Equatable>(_ message: Message) throws -> Message {
        try SecAggBinary.decode(Message.self, from: SecAggBinary.encode(message))
    }

    func testEveryStageMessageComesBackAsItWasSent() throws {
        let messages = try walk()
        XCTAssertEqual(try roundTrip(messages.keys[2]), messages.keys[2])
        XCTAssertEqual(try roundTrip(messages.neighbours), messages.neighbours)
        XCTAssertEqual(messages.neighbours.keys.count, 3)
        XCTAssertEqual(try roundTrip(messages.shared), messages.shared)
        XCTAssertEqual(try roundTrip(messages.relayed), messages.relayed)
        XCTAssertEqual(try roundTrip(messages.request), messages.request)
        XCTAssertEqual(try roundTrip(messages.revealed), messages.revealed)
        XCTAssertFalse(messages.revealed.selfMaskShares.isEmpty)
        XCTAssertFalse(messages.revealed.maskingKeyShares.isEmpty)
    }

    func testTheBinaryFormIsSmallerThanJSON() throws {
        let messages = try walk()
        let json = StarlingJSONLike.encoder()
        XCTAssertLessThan(SecAggBinary.encode(messages.neighbours).count, try json.encode(messages.neighbours).count)
        XCTAssertLessThan(SecAggBinary.encode(messages.shared).count, try json.encode(messages.shared).count)
        XCTAssertLessThan(SecAggBinary.encode(messages.relayed).count, try json.encode(messages.relayed).count)
        XCTAssertLessThan(SecAggBinary.encode(messages.revealed).count, try json.encode(messages.revealed).count)
    }

    func testEveryCutShortBodyIsRefused() throws {
        let messages = try walk()
        let bodies: [(String, [UInt8], ([UInt8]) throws -> Void)] = [
            (
                "keys", SecAggBinary.encode(messages.neighbours),
                { _ = try SecAggBinary.decode(NeighbourKeys.self, from: $0) }
            ),
            (
                "shares", SecAggBinary.encode(messages.shared),
                { _ = try SecAggBinary.decode(SharedKeys.self, from: $0) }
            ),
            (
                "unmasking", SecAggBinary.encode(messages.request),
                { _ = try SecAggBinary.decode(UnmaskingRequest.self, from: $0) }
            ),
            (
                "revealed", SecAggBinary.encode(messages.revealed),
                { _ = try SecAggBinary.decode(RevealedShares.self, from: $0) }
            ),
        ]
        for (name, body, decode) in bodies {
            for length in 0..<body.count {
                XCTAssertThrowsError(try decode(Array(body.prefix(length))), "\(name) cut to \(length) bytes")
            }
            XCTAssertThrowsError(try decode(body + [0]), "\(name) with a trailing byte")
            XCTAssertNoThrow(try decode(body))
        }
    }

    func testAMislabelledOrUnknownBodyIsRefusedWithItsReason() throws {
        let body = SecAggBinary.encode(try walk().shared)
        XCTAssertThrowsError(try SecAggBinary.decode(RevealedShares.self, from: body)) { error in
            XCTAssertTrue("\(error)".contains("another message"), "\(error)")
        }
        var future = body
        future[0] = 2
        XCTAssertThrowsError(try SecAggBinary.decode(SharedKeys.self, from: future)) { error in
            XCTAssertTrue("\(error)".contains("version"), "\(error)")
        }
    }

    func testACountLargerThanTheBodyIsRefusedBeforeAnythingIsAllocated() throws {
        var writer = SecAggBinaryWriter()
        writer.write(SecAggBinary.version)
        writer.write(SecAggBinary.Kind.unmaskingRequest.rawValue)
        writer.write(string: "r")
        writer.write(index: Int(Int32.max))
        XCTAssertThrowsError(try SecAggBinary.decode(UnmaskingRequest.self, from: writer.bytes)) { error in
            XCTAssertTrue("\(error)".contains("more elements"), "\(error)")
        }
    }

    func testARoundIdThatIsNotUTF8IsRefused() throws {
        var writer = SecAggBinaryWriter()
        writer.write(SecAggBinary.version)
        writer.write(SecAggBinary.Kind.relayedShares.rawValue)
        writer.write(bytes: [0xFF, 0xFE])
        writer.write(index: 0)
        XCTAssertThrowsError(try SecAggBinary.decode(RelayedShares.self, from: writer.bytes)) { error in
            XCTAssertTrue("\(error)".contains("UTF-8"), "\(error)")
        }
    }
}

/// The wire's JSON dialect (snake_case keys, as the aggregator writes them), for size comparisons.
private enum StarlingJSONLike {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }
}
