import Quantization
import StarlingCore
import XCTest

final class PerChannelInt8Tests: XCTestCase {
    func test_quantize_roundTripErrorIsAtMostHalfAStepPerRow() {
        var rng = SeededRNG(seed: 1337)
        let weight = Tensor(
            shape: [8, 33],
            values: (0..<(8 * 33)).map { index in
                Float(rng.nextGaussian()) * Float(1 + index / 33)
            })

        let quantized = PerChannelInt8(weight: weight)
        let restored = quantized.dequantized()

        for index in weight.values.indices {
            let step = quantized.scales[index / 33]
            XCTAssertLessThanOrEqual(abs(restored.values[index] - weight.values[index]), step / 2 + 1e-6)
        }
        XCTAssertEqual(quantized.values.map { abs(Int($0)) }.max(), 127)
    }

    func test_quantize_allZeroRow_keepsZerosWithUnitScale() {
        let weight = Tensor(shape: [2, 3], values: [0, 0, 0, 1, -2, 4])

        let quantized = PerChannelInt8(weight: weight)

        XCTAssertEqual(quantized.scales[0], 1)
        XCTAssertEqual(Array(quantized.values[0..<3]), [0, 0, 0])
        XCTAssertEqual(Array(quantized.values[3..<6]), [32, -64, 127])
    }
}
