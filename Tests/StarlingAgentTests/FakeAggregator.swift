import Foundation
import NIOHTTP1
import StarlingCore
import StarlingProtocol
import Synchronization

@testable import StarlingAgent

/// A stand-in for the aggregator's device listener (plain HTTP, on a ``FakeHTTPServer``): serves a
/// desired state the test can change, the fp32 and int8 artifacts of the versions it was given
/// (single `bytes=N-` / `bytes=N-M` ranges answered 206 as the real one does, or ignored when
/// `honoursRanges` is off), and reports every deployment report and update it receives as an event.
/// A test can have it cut weights answers short, to play a link that drops mid-download.
final class FakeAggregator: Sendable {
    enum Event: Sendable {
        case report(DeploymentReport)
        case update(runId: String, round: Int, body: [UInt8])
    }

    /// One weights request: its path and `Range` header.
    struct WeightsRequest: Sendable, Equatable {
        var path: String
        var range: String?
    }

    let events: AsyncStream<Event>
    let honoursRanges: Bool
    private let sink: AsyncStream<Event>.Continuation
    private let artifacts: [String: [UInt8]]
    private let state: Mutex<State>

    private struct State {
        var desired: DesiredState
        var watches = 0
        var weightsRequests: [WeightsRequest] = []
        /// Body bytes to send of the next weights answers, in order, before dropping the connection.
        var cuts: [Int] = []
        /// Round uploads still to lose: the connection drops before the upload is taken.
        var uploadsToDrop = 0
        var uploadAttempts = 0
    }

    /// A fake serving `toy@3`'s artifacts.
    convenience init(desired: DesiredState, weights: [UInt8], int8Weights: [UInt8]) {
        self.init(desired: desired, versions: [3: (weights, int8Weights)])
    }

    /// A fake serving, for each version of `toy`, its fp32 and int8 artifacts.
    init(desired: DesiredState, versions: [Int: ([UInt8], [UInt8])], honoursRanges: Bool = true) {
        var artifacts: [String: [UInt8]] = [:]
        for (version, (fp32, int8)) in versions {
            artifacts[APIPath.deviceWeights(model: "toy", version: version)] = fp32
            artifacts[APIPath.deviceWeights(model: "toy", version: version, format: .int8)] = int8
        }
        self.artifacts = artifacts
        self.honoursRanges = honoursRanges
        state = Mutex(State(desired: desired))
        (events, sink) = AsyncStream.makeStream(of: Event.self)
    }

    var watchCount: Int { state.withLock { $0.watches } }

    /// Every weights request so far, in order.
    var weightsRequests: [WeightsRequest] { state.withLock { $0.weightsRequests } }

    /// Makes the watch answer `desired` from now on.
    func setDesired(_ desired: DesiredState) {
        state.withLock { $0.desired = desired }
    }

    /// Loses the next `count` round uploads: each connection drops unanswered, as a flaky link would.
    func dropNextUploads(_ count: Int) {
        state.withLock { $0.uploadsToDrop += count }
    }

    /// Every round upload so far, lost or taken.
    var uploadAttempts: Int { state.withLock { $0.uploadAttempts } }

    /// Cuts the next weights answers after these many body bytes each, then drops the connection.
    func cutNextWeights(after sizes: Int...) {
        state.withLock { $0.cuts += sizes }
    }

    func respond(_ request: FakeRequest) async -> FakeResponse {
        let decoder = StarlingJSON.decoder()
        if let artifact = artifacts[request.uri] {
            return weights(artifact, request)
        }
        switch request.uri {
        case APIPath.deviceWatch:
            let desired = state.withLock { state in
                state.watches += 1
                return state.desired
            }
            guard let watch = try? decoder.decode(WatchRequest.self, from: Data(request.body)) else { break }
            if watch.revision == desired.revision {
                // Unchanged: hold the long poll a little, as the real aggregator would.
                try? await Task.sleep(for: .milliseconds(50))
            }
            return .json(desired)
        case _ where request.uri.hasPrefix("/v1/device/deployments/"):
            guard let report = try? decoder.decode(DeploymentReport.self, from: Data(request.body)) else { break }
            sink.yield(.report(report))
            return .json([String: String]())
        case _ where request.uri.hasPrefix("/v1/device/runs/"):
            let lost = state.withLock { state in
                state.uploadAttempts += 1
                guard state.uploadsToDrop > 0 else { return false }
                state.uploadsToDrop -= 1
                return true
            }
            if lost { return FakeResponse(status: .ok, body: Array("{}".utf8), cutAfter: 0) }
            guard let task = state.withLock({ $0.desired.rounds.first }) else { break }
            sink.yield(.update(runId: task.runId, round: task.round, body: request.body))
            return .json(UpdateReceipt(runId: task.runId, round: task.round, accepted: true))
        default:
            break
        }
        return FakeResponse(status: .notFound)
    }

    private func weights(_ artifact: [UInt8], _ request: FakeRequest) -> FakeResponse {
        let range = request.headers.first(name: "range")
        let cut = state.withLock { state in
            state.weightsRequests.append(WeightsRequest(path: request.uri, range: range))
            return state.cuts.isEmpty ? nil : state.cuts.removeFirst()
        }
        guard honoursRanges, let range, range.hasPrefix("bytes=") else {
            return FakeResponse(status: .ok, headers: [("Accept-Ranges", "bytes")], body: artifact, cutAfter: cut)
        }
        let bounds = range.dropFirst("bytes=".count).split(separator: "-", omittingEmptySubsequences: false)
        guard let first = bounds.first.flatMap({ Int($0) }) else { return FakeResponse(status: .badRequest) }
        guard first < artifact.count else {
            return FakeResponse(status: .rangeNotSatisfiable, headers: [("Content-Range", "bytes */\(artifact.count)")])
        }
        let last = min(bounds.count > 1 ? Int(bounds[1]) ?? artifact.count - 1 : artifact.count - 1, artifact.count - 1)
        return FakeResponse(
            status: .partialContent, headers: [("Content-Range", "bytes \(first)-\(last)/\(artifact.count)")],
            body: Array(artifact[first...last]), cutAfter: cut)
    }

    /// Serves this fake on a new ``FakeHTTPServer``.
    func start() async throws -> FakeHTTPServer {
        try await FakeHTTPServer.start { [self] request in await respond(request) }
    }
}

extension FakeResponse {
    static func json<Value: Encodable>(_ value: Value) -> FakeResponse {
        FakeResponse(
            status: .ok, headers: [("Content-Type", "application/json")],
            body: (try? StarlingJSON.encoder().encode(value)).map { Array($0) } ?? [])
    }
}
