import Foundation
import StarlingProtocol
import XCTest

/// `starling simulate`: in-process devices on the agent's round code, over mutual TLS, against a
/// real aggregator process; SecAgg+ groups and devices that vanish mid-protocol, each round timed
/// with its stage breakdown.
final class SimulateCommandTests: XCTestCase {
    private struct Round: Decodable {
        var devices: Int
        var round: Int
        var state: String
        var seconds: Double
        var survivors: Int
        var vanished: Int
        var stages: [String: Double]
        var requests: [String: Int]
    }

    func test_simulatedRounds_withGroupsAndDropouts_completeAndReportTheirStages() async throws {
        try await simulateTwelveDevices()
    }

    func test_devicesOverHTTP2_completeTheSameRounds() async throws {
        try await simulateTwelveDevices(["--http2"])
    }

    /// Two rounds of twelve devices in groups of six, two vanishing in each, with `options` added.
    private func simulateTwelveDevices(_ options: [String] = []) async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent(
            "starling-simulate-it-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: work) }

        let result = try await runStarling(
            [
                // Seed 3 makes two of the twelve vanish in each round; each group of six keeps at
                // least its threshold of four, whichever devices the cohort put in it.
                "simulate", "--devices", "12", "--rounds", "2", "--dropout", "0.2", "--seed", "3", "--group-size",
                "6", "--stage-seconds", "10", "--rows-per-device", "8", "--model", "64-16-10", "--data",
                TestData.digits.path, "--work-dir", work.path, "--json",
            ] + options,
            environment: [:])

        XCTAssertEqual(result.status, 0, result.stderr + result.stdout)
        let rounds = try result.stdout.split(separator: "\n").map {
            try StarlingJSON.decoder().decode(Round.self, from: Data($0.utf8))
        }
        XCTAssertEqual(rounds.map(\.round), [1, 2], result.stdout)
        for round in rounds {
            XCTAssertEqual(round.state, "completed")
            XCTAssertEqual(round.devices, 12)
            XCTAssertGreaterThan(round.seconds, 0)
            XCTAssertEqual(round.vanished, 2)
            XCTAssertLessThanOrEqual(
                round.survivors, round.devices - round.vanished, "a vanished device is never summed")
            XCTAssertGreaterThanOrEqual(round.survivors, 7, "the cohort's threshold")
        }
        // The next round starts as soon as a round's result is recorded, so a short first stage of
        // it may fall in the figures the simulator read for the round before: checked over the run.
        XCTAssertEqual(
            Set(rounds.flatMap(\.stages.keys)),
            ["advertise_keys", "share_keys", "masked_input", "unmasking", "finish"],
            result.stdout)
        // Every device summed sent its keys, shares and masked input before its round ended (its
        // unmasking message may come after the round's figures were read). The keys and shares
        // brought back the next stage's reply in their exchange: the one reply a device asks for on
        // its own is the unmasking request.
        let stageRoute = "/v1/device/runs/{id}/rounds/{n}/secagg/{stage}"
        let requests = rounds.reduce(into: [String: Int]()) { sum, round in
            sum.merge(round.requests, uniquingKeysWith: +)
        }
        XCTAssertGreaterThanOrEqual(
            requests["POST \(stageRoute)"] ?? 0, rounds.map { 3 * $0.survivors }.reduce(0, +), result.stdout)
        XCTAssertLessThanOrEqual(
            requests["GET \(stageRoute)"] ?? 0, rounds.map { $0.devices - $0.vanished }.reduce(0, +), result.stdout)
        XCTAssertGreaterThan(requests["POST /v1/device/watch"] ?? 0, 0, result.stdout)
        XCTAssertTrue(
            rounds.contains { $0.survivors == $0.devices - $0.vanished },
            "every device that stays is summed: \(result.stdout)")
        XCTAssertEqual(processesMentioning(work.path), [], "processes left running")
    }
}
