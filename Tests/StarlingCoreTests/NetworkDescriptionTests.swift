import Foundation
import XCTest

@testable import StarlingCore

/// Layer-list descriptions: JSON as operators write it, every shape checked layer by layer, and a
/// refusal naming the layer and the shape that does not fit.
final class NetworkDescriptionTests: XCTestCase {
    private func layout(_ json: String) throws -> NetworkLayout {
        try NetworkDescription(json: Data(json.utf8)).layout()
    }

    private func refusal(_ json: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try layout(json)
            XCTFail("expected a refusal", file: file, line: line)
        } catch let error as LayerShapeError {
            return error.description
        } catch {
            XCTFail("unexpected \(error)", file: file, line: line)
        }
        return ""
    }

    func testALeNetStyleDescriptionIsPlacedWithItsShapesAndParameterCount() throws {
        let lenet = try layout(
            """
            {"input": [28, 28, 1], "layers": [
              {"type": "conv2d", "name": "c1", "filters": 6, "kernel": [5, 5], "padding": [2]}, {"type": "relu"},
              {"type": "max_pool", "kernel": [2, 2]},
              {"type": "conv2d", "filters": 16, "kernel": [5]}, {"type": "group_norm", "groups": 4}, {"type": "relu"},
              {"type": "avg_pool", "kernel": [2], "count_padding": false},
              {"type": "flatten"}, {"type": "dense", "units": 120}, {"type": "relu6"}, {"type": "dense", "units": 10}]}
            """)
        XCTAssertEqual(
            lenet.layers.map(\.output.description),
            [
                "28×28×6", "28×28×6", "14×14×6", "10×10×16", "10×10×16", "10×10×16", "5×5×16", "1×1×400", "1×1×120",
                "1×1×120", "1×1×10",
            ])
        XCTAssertEqual(lenet.classes, 10)
        XCTAssertEqual(lenet.parameterCount, (6 * 25 + 6) + (16 * 150 + 16) + 32 + (400 * 120 + 120) + (120 * 10 + 10))
        let network = LayerNetwork(layout: lenet, seed: 1)
        XCTAssertEqual(
            network.namedTensors.map { "\($0.name) \($0.tensor.shape)" },
            [
                "layers.0.weight [6, 5, 5, 1]", "layers.0.bias [6]", "layers.3.weight [16, 5, 5, 6]",
                "layers.3.bias [16]",
                "layers.4.weight [16]", "layers.4.bias [16]", "layers.8.weight [120, 400]", "layers.8.bias [120]",
                "layers.10.weight [10, 120]", "layers.10.bias [10]",
            ])
    }

    func testADSCNNStyleDescriptionOverMFCCsHasAboutTwentyFiveThousandParameters() throws {
        let block = """
            {"type": "depthwise_conv2d", "kernel": [3, 3], "padding": [1]}, {"type": "group_norm", "groups": 8}, {"type": "relu"},
            {"type": "conv2d", "filters": 64, "kernel": [1, 1]}, {"type": "group_norm", "groups": 8}, {"type": "relu"}
            """
        let dscnn = try layout(
            """
            {"input": [49, 10, 1], "layers": [
              {"type": "conv2d", "filters": 64, "kernel": [10, 4], "stride": [2, 2], "padding": [4, 1, 5, 2]},
              {"type": "group_norm", "groups": 8}, {"type": "relu"},
              \(block), \(block), \(block), \(block),
              {"type": "global_avg_pool"}, {"type": "dense", "units": 12}]}
            """)
        XCTAssertEqual(dscnn.layers[0].output, FeatureMapShape(height: 25, width: 5, channels: 64))
        XCTAssertEqual(dscnn.layers[dscnn.layers.count - 2].output, FeatureMapShape(height: 1, width: 1, channels: 64))
        XCTAssertTrue((20_000...30_000).contains(dscnn.parameterCount), "\(dscnn.parameterCount)")
    }

    func testA1DConvolutionRunsOverASignalOfHeightOne() throws {
        let signal = try layout(
            """
            {"input": [1, 128, 3], "layers": [
              {"type": "conv1d", "filters": 8, "kernel": [5], "stride": [2], "padding": [2, 1], "dilation": [2]},
              {"type": "relu"}, {"type": "max_pool", "kernel": [1, 2]}, {"type": "global_avg_pool"}, {"type": "dense", "units": 4}]}
            """)
        XCTAssertEqual(signal.layers[0].output, FeatureMapShape(height: 1, width: 62, channels: 8))
        XCTAssertEqual(signal.layers[2].output, FeatureMapShape(height: 1, width: 31, channels: 8))
    }

    func testDescriptionsThatDoNotFitAreRefusedNamingTheLayerAndTheShape() {
        XCTAssertEqual(
            refusal(
                #"{"input": [8, 8, 1], "layers": [{"type": "conv2d", "name": "big", "filters": 4, "kernel": [9, 3]}, {"type": "dense", "units": 2}]}"#
            ),
            "layer 'big': its kernel 9×3 (9×3 dilated) is larger than its input 8×8 (8×8 padded)")
        XCTAssertEqual(
            refusal(
                #"{"input": [8, 8, 1], "layers": [{"type": "conv2d", "filters": 4, "kernel": [3]}, {"type": "dense", "units": 2}]}"#
            ),
            "layer 'dense#1': a dense layer needs a flat input, but its input is the map 6×6×4; add a flatten layer before it"
        )
        XCTAssertEqual(
            refusal(
                #"{"input": [8, 8, 1], "layers": [{"type": "flatten"}, {"type": "max_pool", "kernel": [2]}, {"type": "dense", "units": 2}]}"#
            ),
            "layer 'max_pool#1': a max_pool layer needs a feature map, but its input is a flat row of 64 values")
        XCTAssertEqual(
            refusal(
                #"{"input": [8, 8, 2], "layers": [{"type": "conv1d", "filters": 4, "kernel": [3]}, {"type": "dense", "units": 2}]}"#
            ),
            "layer 'conv1d#0': a conv1d layer needs a signal (a map of height 1), but its input is 8×8×2")
        XCTAssertEqual(
            refusal(
                #"{"input": [8, 8, 3], "layers": [{"type": "group_norm", "groups": 2}, {"type": "flatten"}, {"type": "dense", "units": 2}]}"#
            ),
            "layer 'group_norm#0': its 3 channels do not divide into 2 groups")
        XCTAssertEqual(
            refusal(
                #"{"input": [8, 8, 1], "layers": [{"type": "conv2d", "kernel": [3]}, {"type": "flatten"}, {"type": "dense", "units": 2}]}"#
            ),
            "layer 'conv2d#0': a conv2d layer needs 'filters'")
        XCTAssertEqual(
            refusal(#"{"input": [8, 8, 1], "layers": [{"type": "conv3d"}]}"#),
            "layer 'conv3d#0': 'conv3d' is not a layer type (dense, conv2d, conv1d, depthwise_conv2d, max_pool, avg_pool, "
                + "global_avg_pool, flatten, group_norm, relu, relu6)")
        XCTAssertEqual(
            refusal(
                #"{"input": [8, 8, 1], "layers": [{"type": "flatten"}, {"type": "dense", "units": 4}, {"type": "relu"}]}"#
            ),
            "layer 'relu#2': the last layer must be a dense layer with one unit per class")
        XCTAssertEqual(
            refusal(#"{"input": [0, 8, 1], "layers": [{"type": "flatten"}, {"type": "dense", "units": 2}]}"#),
            "layer 'input': its input height is 0; sizes must be at least 1")
        XCTAssertEqual(
            refusal(#"{"input": [8, 8], "layers": []}"#),
            "layer 'input': it is [8, 8] but must be [height, width, channels] ([1, length, channels] for a signal)")
        XCTAssertEqual(
            refusal(#"{"input": [8, 8, 1], "layers": [{"type": "dense", "units": -3}]}"#),
            "layer 'dense#0': a dense layer needs a flat input, but its input is the map 8×8×1; add a flatten layer before it"
        )
        XCTAssertTrue(
            refusal(#"{"input": [8, 8, 1], "layers": "conv"}"#).hasPrefix(
                "layer 'description': it is not a layer list: layers"))
    }
}
