import XCTest

@testable import StarlingCore

/// Descriptions that do not fit are refused with a sentence naming the layer and the shape.
final class LayerShapeErrorTests: XCTestCase {
    private let map = FeatureMapShape(height: 6, width: 5, channels: 3)

    /// The refusal's sentence; fails the test when `body` throws nothing or another error.
    private func message(file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) -> String {
        do {
            try body()
            XCTFail("expected an error", file: file, line: line)
        } catch let error as LayerShapeError {
            return error.description
        } catch {
            XCTFail("unexpected \(error)", file: file, line: line)
        }
        return ""
    }

    func testAKernelLargerThanItsInputIsRefusedNamingTheLayerAndTheShapes() {
        let text = message {
            _ = try Convolution(
                name: "conv3", input: map, outputChannels: 4, window: Window2D(kernelHeight: 7, kernelWidth: 3))
        }
        XCTAssertEqual(text, "layer 'conv3': its kernel 7×3 (7×3 dilated) is larger than its input 6×5 (6×5 padded)")
        let dilated = message {
            _ = try DepthwiseConvolution(
                name: "dw1", input: map, multiplier: 1,
                window: Window2D(kernelHeight: 3, kernelWidth: 3, dilationHeight: 3))
        }
        XCTAssertTrue(
            dilated.hasPrefix("layer 'dw1': its kernel 3×3 (7×3 dilated) is larger than its input 6×5"), dilated)
    }

    func testZeroAndNegativeSizesAreRefused() {
        let zeroChannels = message {
            _ = try Convolution(
                name: "c", input: map, outputChannels: 0, window: Window2D(kernelHeight: 1, kernelWidth: 1))
        }
        XCTAssertEqual(zeroChannels, "layer 'c': its output channels is 0; sizes must be at least 1")
        let negativeInput = message {
            _ = try MaxPooling(
                name: "p", input: FeatureMapShape(height: -2, width: 4, channels: 1),
                window: Window2D(kernelHeight: 2, kernelWidth: 2))
        }
        XCTAssertEqual(negativeInput, "layer 'p': its input height is -2; sizes must be at least 1")
        let zeroStride = message {
            _ = try AveragePooling(
                name: "a", input: map, window: Window2D(kernelHeight: 2, kernelWidth: 2, strideHeight: 0),
                countsPadding: true)
        }
        XCTAssertEqual(zeroStride, "layer 'a': its stride height is 0; it must be between 1 and 65536")
        let negativePadding = message {
            _ = try Convolution(
                name: "c", input: map, outputChannels: 2,
                window: Window2D(
                    kernelHeight: 3, kernelWidth: 3, padding: Padding2D(top: 0, left: -1, bottom: 0, right: 0)))
        }
        XCTAssertEqual(negativePadding, "layer 'c': its left padding is -1; it must be between 0 and 65536")
        let noMultiplier = message {
            _ = try DepthwiseConvolution(
                name: "d", input: map, multiplier: 0, window: Window2D(kernelHeight: 1, kernelWidth: 1))
        }
        XCTAssertEqual(noMultiplier, "layer 'd': its channel multiplier is 0; it must be between 1 and 65536")
    }

    func testHugeSizesAreRefusedWithoutOverflowing() {
        let huge = message {
            _ = try Convolution(
                name: "big", input: FeatureMapShape(height: 65_536, width: 65_536, channels: 65_536), outputChannels: 1,
                window: Window2D(kernelHeight: 1, kernelWidth: 1))
        }
        XCTAssertEqual(huge, "layer 'big': its input 65536×65536×65536 holds more than the 67108864 elements allowed")
        let wide = message {
            _ = try GlobalAveragePooling(name: "g", input: FeatureMapShape(height: 1, width: Int.max, channels: 1))
        }
        XCTAssertEqual(wide, "layer 'g': its input width is \(Int.max), more than the 65536 allowed")
        let kernel = message {
            _ = try Convolution(
                name: "k", input: FeatureMapShape(height: 64, width: 64, channels: 1024), outputChannels: 32,
                window: Window2D(kernelHeight: 64, kernelWidth: 64))
        }
        XCTAssertEqual(kernel, "layer 'k': its kernel holds more than 67108864 weights")
    }

    func testGroupsThatDoNotDivideTheChannelsAndPaddingAsWideAsAPoolingKernelAreRefused() {
        XCTAssertEqual(
            message { _ = try GroupNormalization(name: "gn2", shape: map, groups: 2) },
            "layer 'gn2': its 3 channels do not divide into 2 groups")
        XCTAssertEqual(
            message {
                _ = try MaxPooling(
                    name: "mp", input: map, window: Window2D(kernelHeight: 2, kernelWidth: 2, padding: Padding2D(2)))
            },
            "layer 'mp': its padding (2 rows, 2 columns) must be smaller than its kernel 2×2")
        XCTAssertEqual(
            message {
                _ = try BatchNormalization(
                    layer: "bn", gamma: [1, 1], beta: [0], mean: [0, 0], variance: [1, 1], epsilon: 1e-5)
            },
            "layer 'bn': its scale, bias, mean and variance have 2, 1, 2 and 2 values; they must have one per channel")
        XCTAssertEqual(
            message {
                _ = try BatchNormalization(layer: "bn", gamma: [1], beta: [0], mean: [0], variance: [-1], epsilon: 1e-5)
            },
            "layer 'bn': a variance plus epsilon is not a positive number")
    }

    func testChannelsFirstOrderIsAPermutationMatchingTheTransposition() {
        let shape = FeatureMapShape(height: 2, width: 3, channels: 4)
        let permutation = ChannelsFirstOrder.permutation(for: shape)
        XCTAssertEqual(Set(permutation), Set(0..<shape.count))
        // Element (y 1, x 2, channel 3) is channels-last index (1·3 + 2)·4 + 3 = 23 and channels-first
        // index (3·2 + 1)·3 + 2 = 23 by coincidence; (0, 1, 2) is 6 and (2·2 + 0)·3 + 1 = 13.
        XCTAssertEqual(permutation[6], 13)
        XCTAssertEqual(permutation[23], 23)
    }
}
