import StarlingCore
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

@testable import StarlingAgent

/// Poisoned samples never reach the store: the local API refuses a batch whole when one sample has
/// a feature beyond float32, the wrong width, a label the running model does not know, an oversized
/// label or one with control characters; and training leaves out non-finite samples stored before.
final class SampleAdmissionTests: XCTestCase {
    private func sample(_ features: [Double], _ label: String) -> SampleBatch.Sample {
        SampleBatch.Sample(features: features, label: label)
    }

    func test_localAPI_refusesPoisonedBatchesWhole_withTheirCodes_andStoresNothing() async throws {
        try await withLocalAPI(model: try makeToyModel()) { client, store in
            let poisoned: [(code: String, sample: SampleBatch.Sample)] = [
                ("invalid_features", sample([1e300, 0], "a")),
                ("invalid_features", sample([1, 0, 0], "a")),
                ("invalid_samples", sample([1, 0], "z")),
                ("invalid_samples", sample([1, 0], String(repeating: "a", count: 100_000))),
                ("invalid_samples", sample([1, 0], "a\u{1B}[2J")),
                ("invalid_samples", sample([1, 0], "")),
            ]
            for (code, bad) in poisoned {
                await assertAPIError(status: 400, code: code) {
                    let _: SampleReceipt = try await client.post(
                        APIPath.agentSamples, json: SampleBatch(samples: [self.sample([0, 1], "b"), bad]))
                }
            }
            let count = try await store.sampleCount()
            XCTAssertEqual(count, 0, "nothing of a refused batch is kept")
            let receipt: SampleReceipt = try await client.post(
                APIPath.agentSamples, json: SampleBatch(samples: [sample([0, 1], "b")]))
            XCTAssertEqual(receipt.total, 1)
        }
    }

    func test_withoutAModel_theFirstStoredSampleSetsTheWidth() async throws {
        try await withLocalAPI(model: nil) { client, _ in
            let first: SampleReceipt = try await client.post(
                APIPath.agentSamples, json: SampleBatch(samples: [sample([1, 2, 3], "any label")]))
            XCTAssertEqual(first.total, 1)
            await assertAPIError(status: 400, code: "invalid_features") {
                let _: SampleReceipt = try await client.post(
                    APIPath.agentSamples, json: SampleBatch(samples: [self.sample([1, 2], "x")]))
            }
        }
    }

    func test_admission_boundsBatchesAndMixedWidths() {
        let admission = SampleAdmission(width: nil, labels: nil)
        XCTAssertThrowsError(try admission.admit([])) {
            XCTAssertEqual(($0 as? SampleAdmission.Refusal)?.message.isEmpty, false)
        }
        XCTAssertThrowsError(try admission.admit([sample([1, 2], "a"), sample([1], "a")]))
        XCTAssertThrowsError(
            try admission.admit([sample([Double](repeating: 0, count: SampleAdmission.maximumFeatures + 1), "a")]))
        XCTAssertEqual(try admission.admit([sample([1, 2], "a"), sample([3, 4], "b")]).count, 2)
    }

    func test_training_leavesOutStoredSamplesThatAreNotFinite() throws {
        let manifest = try makeToyBundle().manifest
        let dataset = LabelledDataset.make(
            [
                LabelledSample(features: [1, 0], label: "a"), LabelledSample(features: [.infinity, 0], label: "a"),
                LabelledSample(features: [.nan, 1], label: "b"), LabelledSample(features: [0, 1], label: "b"),
            ], for: manifest)
        XCTAssertEqual(dataset.count, 2)
        XCTAssertTrue(dataset.features.allSatisfy(\.isFinite))
    }
}
