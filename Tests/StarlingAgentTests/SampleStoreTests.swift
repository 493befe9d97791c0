import Foundation
import StarlingProtocol
import XCTest

@testable import StarlingAgent

final class SampleStoreTests: XCTestCase {
    func test_insert_thenReopen_keepsSamplesAndTotals() async throws {
        let directory = try makeTemporaryDirectory()
        let path = directory.appendingPathComponent("agent.sqlite")
        let samples = (0..<50).map {
            LabelledSample(features: [Float($0), -1.5, 0.25], label: $0 % 2 == 0 ? "even" : "odd")
        }
        do {
            let store = try AgentStore(path: path)
            let total = try await store.insert(samples)
            XCTAssertEqual(total, 50)
            try await store.add([.predictions: 3, .roundsJoined: 1])
        }
        let reopened = try AgentStore(path: path)
        let sampleCount = try await reopened.sampleCount()
        XCTAssertEqual(sampleCount, 50)
        let train = try await reopened.samples(in: .train)
        let eval = try await reopened.samples(in: .eval)
        XCTAssertEqual(Set((train + eval).map(\.features)), Set(samples.map(\.features)))
        let counters = try await reopened.counters()
        XCTAssertEqual(counters[.predictions], 3)
        XCTAssertEqual(counters[.roundsJoined], 1)
        XCTAssertEqual(counters[.degradedAnswers], 0)
    }

    func test_split_isAFunctionOfRowIdHoldingOutAboutTwentyPercent() {
        let splits = (1...10_000).map { SampleSplit.of(rowID: Int64($0)) }
        XCTAssertEqual(splits, (1...10_000).map { SampleSplit.of(rowID: Int64($0)) })
        let evalFraction = Double(splits.filter { $0 == .eval }.count) / Double(splits.count)
        XCTAssertEqual(evalFraction, 0.2, accuracy: 0.02)
    }

    func test_insert_assignsSplitsFromRowIds() async throws {
        let store = try AgentStore(path: try makeTemporaryDirectory().appendingPathComponent("agent.sqlite"))
        try await store.insert((1...200).map { LabelledSample(features: [Float($0)], label: "x") })
        let eval = try await store.samples(in: .eval).map { Int64($0.features[0]) }
        XCTAssertEqual(eval, (1...200).map(Int64.init).filter { SampleSplit.of(rowID: $0) == .eval })
    }

    func test_ingestCSV_addsEveryRowAndReportsTheTotal() async throws {
        let directory = try makeTemporaryDirectory()
        let csv = directory.appendingPathComponent("samples.csv")
        try "x1,x2,label\n1,2,a\n3,4,b\n5,6,a\n".write(to: csv, atomically: true, encoding: .utf8)
        let first = try await SampleIngest.ingest(csv: csv, labelColumn: "label", dataDirectory: directory)
        XCTAssertEqual(first.accepted, 3)
        XCTAssertEqual(first.total, 3)
        let second = try await SampleIngest.ingest(csv: csv, labelColumn: "label", dataDirectory: directory)
        XCTAssertEqual(second.total, 6)
    }

    func test_ingestCSV_withoutLabelColumn_failsWithOneSentence() async throws {
        let directory = try makeTemporaryDirectory()
        let csv = directory.appendingPathComponent("samples.csv")
        try "x1,x2\n1,2\n".write(to: csv, atomically: true, encoding: .utf8)
        do {
            _ = try await SampleIngest.ingest(csv: csv, labelColumn: "label", dataDirectory: directory)
            XCTFail("expected an error")
        } catch {
            XCTAssertTrue(error.description.contains("label"), error.description)
        }
    }
}
