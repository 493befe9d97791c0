import Foundation
import NIOHTTP1
import StarlingCore
import StarlingProtocol
import Synchronization
@testable import StarlingAgent

/// A stand-in for the aggregator's device listener (plain HTTP): serves one desired state, the
/// fp32 and int8 artifacts of `toy@3`, and reports every deployment report and update it receives as
/// an event.
final class FakeAggregator: HTTPResponder {
    enum Event: Sendable {
        case report(DeploymentReport)
        case update(roundId: String, iteration: Int, body: [UInt8])
    }

    let desired: DesiredState
    let weights: [UInt8]
    let int8Weights: [UInt8]
    let events: AsyncStream<Event>
    private let sink: AsyncStream<Event>.Continuation
    private let watches = Mutex(0)

    init(desired: DesiredState, weights: [UInt8], int8Weights: [UInt8]) {
        self.desired = desired
        self.weights = weights
        self.int8Weights = int8Weights
        (events, sink) = AsyncStream.makeStream(of: Event.self)
    }

    var watchCount: Int { watches.withLock { $0 } }

    func respond(method: HTTPMethod, uri: String, body: [UInt8]) async -> LocalAPIResponse {
        let decoder = StarlingJSON.decoder()
        switch uri {
        case APIPath.deviceWatch:
            watches.withLock { $0 += 1 }
            guard let request = try? decoder.decode(WatchRequest.self, from: Data(body)) else { break }
            if request.revision == desired.revision {
                // Unchanged: hold the long poll a little, as the real aggregator would.
                try? await Task.sleep(for: .milliseconds(50))
            }
            return .json(desired)
        case APIPath.deviceWeights(model: "toy", version: 3):
            return LocalAPIResponse(status: .ok, body: weights)
        case APIPath.deviceWeights(model: "toy", version: 3, format: .int8):
            return LocalAPIResponse(status: .ok, body: int8Weights)
        case _ where uri.hasPrefix("/v1/device/deployments/"):
            guard let report = try? decoder.decode(DeploymentReport.self, from: Data(body)) else { break }
            sink.yield(.report(report))
            return .json([String: String]())
        case _ where uri.hasPrefix("/v1/device/rounds/"):
            guard let task = desired.rounds.first else { break }
            sink.yield(.update(roundId: task.roundId, iteration: task.iteration, body: body))
            return .json(UpdateReceipt(roundId: task.roundId, iteration: task.iteration, accepted: true))
        default:
            break
        }
        return .problem(.notFound)
    }
}
