import Foundation
import StarlingCore
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

@testable import StarlingAggregator

/// An enrolled device that sends thousands of seeded random messages to every device route (random
/// ids, rounds, stages, JSON, bytes, safetensors) while two honest devices take part in a run of
/// three rounds: every answer is documented and below 500, the aggregator stays up, and the honest
/// run completes with the honest updates.
final class RogueDeviceSoakTests: XCTestCase {
    func test_aRogueDevicesRandomMessages_getNoServerError_andTheHonestRunCompletes() async throws {
        let aggregator = try await TestAggregator.start(deadline: 30)
        let _: ModelVersionInfo = try await aggregator.admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "soak", architecture: "4-3-2", seed: 1))
        let honestTag = Tag(key: "zone", value: "honest")
        let honest = [try await aggregator.enroll(tags: [honestTag]), try await aggregator.enroll(tags: [honestTag])]
        let rogue = try await aggregator.enroll(tags: [Tag(key: "zone", value: "rogue")])
        for device in honest + [rogue] { _ = try await device.watch() }
        let run: RunInfo = try await aggregator.admin.post(
            APIPath.adminRuns,
            json: StartRunRequest(
                model: "soak", clients: 2, minClients: 2, localEpochs: 1, learningRate: 0.1, rounds: 3,
                deadlineSeconds: 30, selector: .tags([honestTag]), seed: 1, secureAggregation: false))

        let rogueClient = rogue.client
        let rogueMessages = Task {
            var messages = RogueMessages(client: rogueClient, knownRun: run.id, seed: 7)
            return await messages.send(3_000)
        }
        async let honestRounds: Void = withThrowingTaskGroup(of: Void.self) { group in
            for device in honest {
                group.addTask { try await Self.takePart(device, in: run.id, rounds: 3) }
            }
            try await group.waitForAll()
        }
        try await honestRounds
        let answered = await rogueMessages.value

        let finished = try await waitForEnd(of: run.id, aggregator)
        XCTAssertEqual(finished.state, .completed, finished.failureReason ?? "")
        XCTAssertEqual(finished.rounds.map(\.updatesReceived), [2, 2, 2])
        XCTAssertEqual(answered.count, 3_000)
        let serverErrors = answered.filter { $0 >= 500 }
        XCTAssertTrue(serverErrors.isEmpty, "\(serverErrors.count) answers were server errors")
        XCTAssertFalse(answered.contains(0), "every message got an HTTP answer")
        let health: [String: String] = try await aggregator.admin.get(APIPath.healthz)
        XCTAssertEqual(health["status"], "ok")
        for device in honest + [rogue] { await device.client.shutdown() }
        try await aggregator.stop()
    }

    /// An honest device's part in each round of run `runID`: a small update once it has the task.
    private static func takePart(_ device: TestDevice, in runID: String, rounds: Int) async throws {
        let architecture = try ModelArchitecture(parsing: "4-3-2")
        for round in 1...rounds {
            var task = try await device.nextTask()
            while task.runId != runID || task.round < round { task = try await device.nextTask() }
            let _: UpdateReceipt = try await device.client.post(
                APIPath.deviceUpdate(runId: runID, round: round),
                bytes: UpdateBody.make(architecture, value: 0.01))
        }
    }
}

/// Seeded random messages to the device listener, each answered with its HTTP status (0 when no
/// answer came).
private struct RogueMessages {
    let client: StarlingHTTPClient
    let knownRun: String
    var rng: SeededRNG

    init(client: StarlingHTTPClient, knownRun: String, seed: UInt64) {
        self.client = client
        self.knownRun = knownRun
        rng = SeededRNG(seed: seed)
    }

    mutating func send(_ count: Int) async -> [Int] {
        var statuses: [Int] = []
        for _ in 0..<count { statuses.append(await sendOne()) }
        return statuses
    }

    private mutating func sendOne() async -> Int {
        let run = pick([knownRun, knownRun, "rnd-\(text(12))", text(40), "../../etc", ""])
        let round = pick([1, 2, 3, 0, -1, 99, Int.max, Int.min])
        let stage = pick(["keys", "shares", "masked-input", "unmasking", "../keys", text(8)])
        switch Int.random(in: 0..<10, using: &rng) {
        case 0: return await post(APIPath.deviceWatch, randomJSON())
        case 1: return await post(APIPath.deviceWatch, randomBytes())
        case 2: return await post(APIPath.deviceUpdate(runId: run, round: round), randomUpdate())
        case 3:
            let path = APIPath.deviceSecureAggregation(runId: run, round: round, stage: stage)
            return Bool.random(using: &rng) ? await get(path) : await post(path, randomJSON())
        case 4: return await post(APIPath.deviceFailure(runId: run, round: round), randomJSON())
        case 5: return await post(APIPath.deviceEvaluation(runId: run, round: round), randomJSON())
        case 6: return await post(APIPath.deviceStatistics(runId: run, round: round), randomBytes())
        case 7:
            return await post(APIPath.deviceDeploymentReport(id: pick(["dep-\(text(12))", text(30)])), randomJSON())
        case 8: return await get(APIPath.deviceWeights(model: pick(["soak", text(10)]), version: round))
        default:
            let path =
                "/v1/device/" + (0..<Int.random(in: 0...4, using: &rng)).map { _ in text(6) }.joined(separator: "/")
            return Bool.random(using: &rng) ? await get(path) : await post(path, randomBytes())
        }
    }

    private func post(_ path: String, _ body: [UInt8]) async -> Int {
        await status { () async throws(StarlingHTTPError) in
            let _: JSONValue = try await client.post(
                path, bytes: body, contentType: "application/json", as: JSONValue.self)
        }
    }

    private func get(_ path: String) async -> Int {
        await status { () async throws(StarlingHTTPError) in _ = try await client.getBytes(path) }
    }

    private func status(_ call: () async throws(StarlingHTTPError) -> Void) async -> Int {
        do {
            try await call()
            return 200
        } catch .api(let status, _, _) {
            return status
        } catch .invalidResponse {
            return 200
        } catch {
            return 0
        }
    }

    private mutating func pick<T>(_ choices: [T]) -> T { choices[Int.random(in: 0..<choices.count, using: &rng)] }

    /// Printable, control and non-ASCII characters, up to `maximum` of them.
    private mutating func text(_ maximum: Int) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789-_.=@/%\"\\\u{0}\u{1B}\u{7F}é漢😀 ")
        return String((0..<Int.random(in: 0...maximum, using: &rng)).map { _ in pick(alphabet) })
    }

    /// An update body: garbage, or safetensors of the right or a wrong shape with values and
    /// counts from sane to hostile.
    private mutating func randomUpdate() -> [UInt8] {
        let architecture = pick(["4-3-2", "4-4-2", "1-1"])
        let value = pick([Float(0.01), .nan, .infinity, 3e38, -1])
        let trainSamples = pick([50, 0, -5, 1 << 62, Int.max])
        let evalSamples = pick([10, -1, Int.max])
        guard Bool.random(using: &rng), let shape = try? ModelArchitecture(parsing: architecture),
            let body = try? UpdateBody.make(shape, value: value, trainSamples: trainSamples, evalSamples: evalSamples)
        else { return randomBytes() }
        return body
    }

    private mutating func randomBytes() -> [UInt8] {
        (0..<Int.random(in: 0...512, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    /// A JSON object of random fields and values, some with the names the routes read.
    private mutating func randomJSON() -> [UInt8] {
        let names = [
            "revision", "sample_count", "running_model", "wait_seconds", "state", "model", "version", "message",
            "reason", "detail", "samples", "accuracy", "loss", "confusion", "round_id", "client", "encryption_key",
            "masking_key", "shares", "survivors", "dropped", text(10),
        ]
        let fields = (0..<Int.random(in: 0...6, using: &rng)).map { _ in "\"\(pick(names))\": \(randomValue(depth: 0))"
        }
        return Array("{\(fields.joined(separator: ", "))}".utf8)
    }

    private mutating func randomValue(depth: Int) -> String {
        switch Int.random(in: 0..<(depth > 2 ? 5 : 7), using: &rng) {
        case 0: return String(pick([0, 1, -1, Int.max, Int.min, 1 << 62, 30]))
        case 1: return pick(["1e308", "-1e308", "0.5", "3.5e38", "1e-320", "NaN"])
        case 2:
            return "\"\(text(40).replacingOccurrences(of: "\\", with: "").replacingOccurrences(of: "\"", with: ""))\""
        case 3: return pick(["true", "false", "null"])
        case 4:
            return "\"" + pick(["installed", "failed", "rolled_back", "diverged", "no_data", "soak@1", "AAAA"]) + "\""
        case 5:
            return "["
                + (0..<Int.random(in: 0...4, using: &rng)).map { _ in randomValue(depth: depth + 1) }.joined(
                    separator: ",") + "]"
        default:
            return "{\"" + pick(["from", "to", "owner", "x", "bytes", "ciphertext"]) + "\": "
                + randomValue(depth: depth + 1) + "}"
        }
    }
}
