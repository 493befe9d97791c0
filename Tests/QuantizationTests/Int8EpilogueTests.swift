import CStarlingInt8
import Foundation
import StarlingCore
import XCTest

/// The float epilogues shared by every kernel path: quantization, requantisation, group
/// normalisation, softmax.
final class Int8EpilogueTests: XCTestCase {
    private func quantize(_ x: [Float], rows: Int, staticScale: Float = 0, mean: [Float]? = nil, invStd: [Float]? = nil)
        -> (q: [Int8], scales: [Float])
    {
        let k = x.count / rows
        var q = [Int8](repeating: 0, count: x.count), scales = [Float](repeating: 0, count: rows)
        starling_i8_quantize_rows(Int32(rows), Int32(k), x, mean, invStd, staticScale, &q, &scales)
        return (q, scales)
    }

    func test_quantizeRows_dynamic_usesEachRowsMaxAndRoundsHalfToEven() {
        let (q, scales) = quantize([127, 0.5, 1.5, 2.5, -2.5, -254, 1, 3, 5, 0], rows: 2)
        XCTAssertEqual(scales, [1, 2])
        XCTAssertEqual(q, [127, 0, 2, 2, -2, -127, 0, 2, 2, 0])
    }

    func test_quantizeRows_static_clampsToPlusMinus127() {
        let (q, scales) = quantize([300, -300, 126.5, -0.4], rows: 1, staticScale: 1)
        XCTAssertEqual(scales, [1])
        XCTAssertEqual(q, [127, -127, 126, 0])
    }

    func test_quantizeRows_allZeroRow_getsUnitScale() {
        let (q, scales) = quantize([0, 0, 0], rows: 1)
        XCTAssertEqual(scales, [1])
        XCTAssertEqual(q, [0, 0, 0])
    }

    func test_quantizeRows_standardisesBeforeQuantizing() {
        let (q, scales) = quantize([10, 4], rows: 1, mean: [2, 4], invStd: [0.5, 1])
        XCTAssertEqual(scales, [4.0 / 127])
        XCTAssertEqual(q, [127, 0])
    }

    func test_requantize_appliesScalesBiasAndReluThenQuantizesPerRow() {
        let acc: [Int32] = [100, -100, 50, 200]  // 2 rows × 2 outputs
        var rowScales: [Float] = [0.5, 0.25]
        var q = [Int8](repeating: 0, count: 4), row = [Float](repeating: 0, count: 2)
        starling_i8_requantize(
            2, 2, acc, rowScales, [0.02, 0.04], [0.5, 0], STARLING_I8_ACT_RELU, 0, &row, &q, &rowScales)
        // Row 0: y = [100·0.01 + 0.5, relu(−100·0.02)] = [1.5, 0]; row 1: [50·0.005 + 0.5, 200·0.01] = [0.75, 2].
        XCTAssertEqual(rowScales[0], 1.5 / 127, accuracy: 1e-9)
        XCTAssertEqual(rowScales[1], 2 / 127, accuracy: 1e-9)
        XCTAssertEqual(q, [127, 0, 48, 127])
    }

    func test_quantizeRows_rowThatOverflowed_keepsAFiniteScale_andSaturatesToPlusMinus127() {
        let largest = Float.greatestFiniteMagnitude
        let (q, scales) = quantize([.infinity, -.infinity, 1, 0], rows: 1)
        XCTAssertEqual(scales, [largest / 127])
        XCTAssertEqual(q, [127, -127, 0, 0])
        // Standardising 3e38 around −3e38 overflows inside the kernel.
        let (standardised, standardisedScales) = quantize(
            [3e38, -3e38], rows: 1, mean: [-3e38, 3e38], invStd: [1, 1])
        XCTAssertEqual(standardisedScales, [largest / 127])
        XCTAssertEqual(standardised, [127, -127])
    }

    func test_dequantize_whenTheScalesOverflow_saturatesAtFloatMax_andZeroStaysZero() {
        let largest = Float.greatestFiniteMagnitude
        let acc: [Int32] = [0, 1, -1000, 2]
        var y = [Float](repeating: .nan, count: 4)
        starling_i8_dequantize(
            1, 4, acc, [largest / 127], [1e30, 1e30, 1e30, 1e-30], [0, 1e38, 0, 0], STARLING_I8_ACT_IDENTITY, &y)
        XCTAssertEqual(y, [0, largest, -largest, 2 * (largest / 127 * 1e-30)])

        var row = [Float](repeating: 0, count: 4), q = [Int8](repeating: 0, count: 4), next: [Float] = [0]
        starling_i8_requantize(
            1, 4, acc, [largest / 127], [1e30, 1e30, 1e30, 1e30], [0, 0, 0, 0], STARLING_I8_ACT_RELU, 0, &row, &q,
            &next)
        XCTAssertEqual(row, [0, largest, 0, largest])
        XCTAssertEqual(next, [largest / 127])
        XCTAssertEqual(q, [0, 127, 0, 127])
    }

    /// Runs the fused group normalisation on `m` maps of accumulators.
    private func groupNormalize(
        _ acc: [Int32], m: Int, positions: Int, channels: Int, groups: Int, exampleScales: [Float], colScales: [Float],
        bias: [Float], gamma: [Float], beta: [Float], act: starling_i8_activation, taps: Int32 = 2
    ) -> [Float] {
        var y = [Float](repeating: .nan, count: acc.count)
        var scratch = [UInt64](repeating: 0, count: starling_i8_group_normalize_scratch_size(Int32(channels)) / 8)
        starling_i8_group_normalize(
            Int32(m), Int32(positions), Int32(channels), Int32(groups), taps, 1e-5, acc, exampleScales, colScales, bias,
            gamma, beta, act, &scratch, &y)
        return y
    }

    /// 12 channels: one vector block of 8 and 4 channels one by one.
    func test_groupNormalize_equalsTheFloatLayerOnTheDequantizedMap_thenReLU6() throws {
        let (m, height, width, channels, groups) = (2, 3, 2, 12, 3)
        let positions = height * width
        var random = SeededRNG(seed: 11)
        let acc = (0..<(m * positions * channels)).map { _ in Int32(random.nextInt(below: 40_001)) - 20_000 }
        let exampleScales: [Float] = [0.002, 0.0005]
        let colScales = (0..<channels).map { Float($0 + 1) * 0.01 }
        let bias = (0..<channels).map { Float($0) * 0.5 - 2 }
        let gamma = (0..<channels).map { Float($0 % 3) - 0.5 }
        let beta = (0..<channels).map { Float($0) * 0.25 }
        let fused = groupNormalize(
            acc, m: m, positions: positions, channels: channels, groups: groups, exampleScales: exampleScales,
            colScales: colScales, bias: bias, gamma: gamma, beta: beta, act: STARLING_I8_ACT_RELU6)

        let dequantized = acc.indices.map { index in
            let (example, channel) = (index / (positions * channels), index % channels)
            return Float(acc[index]) * (exampleScales[example] * colScales[channel]) + bias[channel]
        }
        let layer = try GroupNormalization(
            name: "norm", shape: FeatureMapShape(height: height, width: width, channels: channels), groups: groups)
        let expected = gamma.withUnsafeBufferPointer { gamma in
            beta.withUnsafeBufferPointer { beta in
                ClippedRectifier.relu6.forward(layer.forward(dequantized, batch: m, gamma: gamma, beta: beta).output)
            }
        }
        XCTAssertTrue(expected.contains { $0 > 0 && $0 < 6 }, "values between the clips")
        for (actual, wanted) in zip(fused, expected) { XCTAssertEqual(actual, wanted, accuracy: 1e-5) }
        // Accumulators of a million taps could overflow int32 sums over two positions: summed one
        // position at a time instead, with the same result.
        let shortRuns = groupNormalize(
            acc, m: m, positions: positions, channels: channels, groups: groups, exampleScales: exampleScales,
            colScales: colScales, bias: bias, gamma: gamma, beta: beta, act: STARLING_I8_ACT_RELU6, taps: 1_000_000)
        XCTAssertEqual(shortRuns.map(\.bitPattern), fused.map(\.bitPattern))
    }

    func test_groupNormalize_constantGroupGivesBeta() {
        // Group 0 (channels 0, 1) is constant across positions; group 1 is not.
        let acc: [Int32] = [7, 7, 1, -1, 7, 7, -3, 3]
        let y = groupNormalize(
            acc, m: 1, positions: 2, channels: 4, groups: 2, exampleScales: [0.5], colScales: [0.02, 0.02, 0.02, 0.02],
            bias: [0, 0, 0, 0], gamma: [2, 2, 1, 1], beta: [0.5, -0.5, 0, 0], act: STARLING_I8_ACT_IDENTITY)
        for (actual, wanted) in zip([y[0], y[1], y[4], y[5]], [0.5, -0.5, 0.5, -0.5] as [Float]) {
            XCTAssertEqual(actual, wanted, accuracy: 1e-5)
        }
        XCTAssertEqual(y[2] + y[3] + y[6] + y[7], 0, accuracy: 1e-5, "group 1 is centred")
    }

    func test_groupNormalize_whenTheScalesOverflow_staysFinite() {
        let largest = Float.greatestFiniteMagnitude
        let acc: [Int32] = [7, 7, 1, -1, 7, 7, -3, 3]
        let y = groupNormalize(
            acc, m: 1, positions: 2, channels: 4, groups: 2, exampleScales: [largest],
            colScales: [1e30, 1e30, 1e30, 1e30], bias: [1e38, 0, 0, -1e38], gamma: [2, 2, 1e30, 1e30],
            beta: [0.5, -0.5, 0, 0], act: STARLING_I8_ACT_IDENTITY)
        XCTAssertTrue(y.allSatisfy(\.isFinite), "\(y)")
    }

    func test_softmax_ofSaturatedLogits_isFiniteAndSumsToOne() {
        let largest = Float.greatestFiniteMagnitude
        var z: [Float] = [largest, -largest, largest, 0]
        starling_i8_softmax_rows(1, 4, &z)
        XCTAssertTrue(z.allSatisfy(\.isFinite), "\(z)")
        XCTAssertEqual(z[0], 0.5, accuracy: 1e-6)
        XCTAssertEqual(z[2], 0.5, accuracy: 1e-6)
        XCTAssertEqual(z.reduce(0, +), 1, accuracy: 1e-6)
    }

    func test_dequantize_thenSoftmax_matchesTheDefinition() {
        let acc: [Int32] = [10, -20, 30, 0, 5, -5]
        var logits = [Float](repeating: 0, count: 6)
        starling_i8_dequantize(2, 3, acc, [0.1, 0.2], [1, 0.5, 2], [0, 1, -1], STARLING_I8_ACT_IDENTITY, &logits)
        XCTAssertEqual(logits, [1, 0, 5, 0, 1.5, -3])
        starling_i8_softmax_rows(2, 3, &logits)
        for row in 0..<2 {
            let z: [Double] = row == 0 ? [1, 0, 5] : [0, 1.5, -3]
            let total = z.map { exp($0) }.reduce(0, +)
            for j in 0..<3 {
                XCTAssertEqual(Double(logits[row * 3 + j]), exp(z[j]) / total, accuracy: 1e-6)
            }
        }
    }
}
