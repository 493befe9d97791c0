import StarlingCore
import StarlingProtocol
import XCTest

@testable import StarlingAggregator

/// Waits for the one-round run `runId` to end and checks that it completed on the updates of
/// `survivors` alone and made version 2 of `model` as FedAvg of them: device `i` trained `samples[i]`
/// rows and its delta is `deltas[i]` on every parameter of `base`.
func assertRoundMadeFedAvg(
    _ runId: String, on aggregator: TestAggregator, model: String, base: ModelBundle, survivors: [Int],
    samples: [Int], deltas: [Float], accuracy: Float, file: StaticString = #filePath, line: UInt = #line
) async throws {
    let finished = try await waitForEnd(of: runId, aggregator)
    XCTAssertEqual(finished.state, .completed, finished.failureReason ?? "", file: file, line: line)
    XCTAssertEqual(finished.rounds.first?.updatesReceived, survivors.count, file: file, line: line)
    let produced = try ModelBundle(
        decoding: try await aggregator.admin.getBytes(APIPath.adminWeights(model: model, version: 2)))
    let expected = try FedAvg.aggregate(
        w_t: base.model.parameters,
        updates: survivors.map {
            FedAvg.ClientUpdate(
                n_k: samples[$0], delta: [Float](repeating: deltas[$0], count: base.model.parameters.count))
        })
    for (got, want) in zip(produced.model.parameters, expected) {
        XCTAssertEqual(got, want, accuracy: accuracy, file: file, line: line)
    }
}
