import Foundation
import StarlingProtocol
import XCTest

@testable import StarlingAggregator

/// A device's plain evaluation upload is checked for consistency before it counts, and a cohort's
/// figures combine by sample weight.
final class EvaluationUploadTests: XCTestCase {
    private func body(_ figures: EvaluationFigures) throws -> [UInt8] {
        Array(try StarlingJSON.encoder().encode(figures))
    }

    private func assertRefused(
        _ figures: EvaluationFigures, classes: Int = 3, mentioning words: String, line: UInt = #line
    ) throws {
        let bytes = try body(figures)
        do {
            _ = try EvaluationUpload.decode(bytes, classes: classes)
            XCTFail("figures \(figures) were accepted", line: line)
        } catch {
            XCTAssertEqual(error.status, .badRequest, line: line)
            XCTAssertEqual(error.code, .invalidEvaluation, line: line)
            XCTAssertTrue(error.message.contains(words), "\(error.message)", line: line)
        }
    }

    private let confusion = [[3, 1, 0], [0, 4, 0], [1, 0, 1]]

    func test_consistentFigures_decodeAsSent() throws {
        let figures = EvaluationFigures(samples: 10, accuracy: 0.8, loss: 0.5, confusion: confusion)
        XCTAssertEqual(try EvaluationUpload.decode(try body(figures), classes: 3), figures)
    }

    func test_inconsistentFigures_areRefusedWithTheirReason() throws {
        try assertRefused(
            EvaluationFigures(samples: 11, accuracy: 0.8, loss: 0.5, confusion: confusion),
            mentioning: "counts 10 samples")
        try assertRefused(
            EvaluationFigures(samples: 10, accuracy: 0.9, loss: 0.5, confusion: confusion),
            mentioning: "accuracy does not match")
        try assertRefused(
            EvaluationFigures(samples: 10, accuracy: 0.8, loss: 0.5, confusion: [[8, 2], [0, 0]]), mentioning: "3×3")
        try assertRefused(
            EvaluationFigures(samples: 10, accuracy: 0.8, loss: 0.5, confusion: nil), mentioning: "missing")
        try assertRefused(
            EvaluationFigures(samples: 10, accuracy: 0.8, loss: -1, confusion: confusion), mentioning: "loss")
        try assertRefused(
            EvaluationFigures(samples: 0, accuracy: 0, loss: 0.5, confusion: [[0, 0, 0], [0, 0, 0], [0, 0, 0]]),
            mentioning: "samples")
        try assertRefused(
            EvaluationFigures(samples: 10, accuracy: 0.8, loss: 0.5, confusion: confusion, lossClippedDevices: 1),
            mentioning: "clip")
        try assertRefused(
            EvaluationFigures(samples: 10, accuracy: 0.8, loss: 0.5, confusion: [[3, 1, 0], [0, 4, 0], [1, 0, 1]]),
            classes: 300, mentioning: "no confusion matrix")
    }

    func test_notJSON_isRefused() {
        XCTAssertThrowsError(try EvaluationUpload.decode([0xFF, 0x00], classes: 3))
    }

    func test_combine_sumsSamplesAndConfusion_andWeightsAccuracyAndLossBySamples() throws {
        let second = [[10, 0, 0], [0, 9, 1], [0, 0, 10]]
        let combined = try EvaluationUpload.combine([
            EvaluationFigures(samples: 10, accuracy: 0.8, loss: 0.5, confusion: confusion),
            EvaluationFigures(samples: 30, accuracy: 29.0 / 30, loss: 0.2, confusion: second),
        ])
        XCTAssertEqual(combined.samples, 40)
        XCTAssertEqual(combined.accuracy, 37.0 / 40, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(combined.loss), 11.0 / 40, accuracy: 1e-12)
        XCTAssertEqual(combined.confusion, [[13, 1, 0], [0, 13, 1], [1, 0, 11]])
        XCTAssertEqual(combined.lossClippedDevices, 0)
    }

    func test_combine_withADeviceThatMeasuredNoLoss_leavesTheLossOut_andCountsThatDevice() throws {
        let combined = try EvaluationUpload.combine([
            EvaluationFigures(samples: 10, accuracy: 0.8, loss: 0.5, confusion: confusion),
            EvaluationFigures(samples: 10, accuracy: 0.8, loss: nil, confusion: confusion),
        ])
        XCTAssertNil(combined.loss)
        XCTAssertEqual(combined.lossClippedDevices, 1)
        XCTAssertEqual(combined.accuracy, 0.8, accuracy: 1e-12)
    }

    func test_combine_withoutAConfusionMatrixFromSomeDevice_leavesTheMatrixOut() throws {
        let combined = try EvaluationUpload.combine([
            EvaluationFigures(samples: 10, accuracy: 0.8, loss: 0.5, confusion: confusion),
            EvaluationFigures(samples: 10, accuracy: 0.6, loss: 0.5, confusion: nil),
        ])
        XCTAssertNil(combined.confusion)
        XCTAssertEqual(combined.accuracy, 0.7, accuracy: 1e-12)
    }

    func test_combine_ofNothing_isRefused() {
        XCTAssertThrowsError(try EvaluationUpload.combine([]))
    }
}
