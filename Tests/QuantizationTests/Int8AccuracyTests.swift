import Quantization
import StarlingCore
import XCTest

/// int8 held-out digits accuracy stays within 1 point of fp32.
final class Int8AccuracyTests: XCTestCase {
    func test_dynamicAndStaticInt8_stayWithinOnePointOfFP32_onHeldOutDigits() throws {
        let digits = try DigitsFixture.make()
        let fp32 = accuracy(
            probabilities: digits.bundle.predict(features: digits.test.features, rows: digits.test.count),
            labels: digits.test.labels, classes: 10)
        let dynamic = try Int8Bundle(quantizing: digits.bundle)
        let calibrated = try Int8Bundle(quantizing: digits.bundle, calibration: digits.train)
        let dynamicAccuracy = accuracy(
            probabilities: dynamic.predict(features: digits.test.features, rows: digits.test.count),
            labels: digits.test.labels, classes: 10)
        let staticAccuracy = accuracy(
            probabilities: calibrated.predict(features: digits.test.features, rows: digits.test.count),
            labels: digits.test.labels, classes: 10)

        print("digits held-out accuracy: fp32 \(fp32), int8 dynamic \(dynamicAccuracy), int8 static \(staticAccuracy)")
        XCTAssertGreaterThanOrEqual(fp32, 0.9)
        XCTAssertEqual(dynamic.activationQuantization, .dynamic)
        XCTAssertEqual(calibrated.activationQuantization, .calibrated)
        XCTAssertLessThanOrEqual(abs(dynamicAccuracy - fp32), 0.01)
        XCTAssertLessThanOrEqual(abs(staticAccuracy - fp32), 0.01)
    }

    func test_tanhHiddenLayers_quantizeWithinOnePointOfFP32() throws {
        let digits = try DigitsFixture.make(architecture: "64-32-10/tanh")
        let fp32 = accuracy(
            probabilities: digits.bundle.predict(features: digits.test.features, rows: digits.test.count),
            labels: digits.test.labels, classes: 10)
        let int8 = try Int8Bundle(quantizing: digits.bundle)
        let int8Accuracy = accuracy(
            probabilities: int8.predict(features: digits.test.features, rows: digits.test.count),
            labels: digits.test.labels, classes: 10)
        XCTAssertLessThanOrEqual(abs(int8Accuracy - fp32), 0.01, "fp32 \(fp32), int8 \(int8Accuracy)")
    }
}
