import XCTest

@testable import StarlingCore

/// A training workspace changes where a layer network's step writes, never what it computes, and
/// from the second step of a size on the step writes into the buffers it kept.
final class TrainingWorkspaceTests: XCTestCase {
    /// Every kind of layer, and every buffer that shares storage in a pass: a flatten layer, a 1×1
    /// convolution (whose unfolded input is its input), convolutions and normalisations (whose
    /// output is in their state), max pooling's indices.
    private func layout() throws -> NetworkLayout {
        try NetworkDescription(
            input: [6, 5, 2],
            layers: [
                LayerDescription(type: "conv2d", filters: 4, kernel: [3], padding: [1]),
                LayerDescription(type: "group_norm", groups: 2), LayerDescription(type: "relu"),
                LayerDescription(type: "max_pool", kernel: [2]),
                LayerDescription(type: "depthwise_conv2d", multiplier: 2, kernel: [3], padding: [1]),
                LayerDescription(type: "relu6"), LayerDescription(type: "conv2d", filters: 6, kernel: [1]),
                LayerDescription(type: "avg_pool", kernel: [2], countPadding: false),
                LayerDescription(type: "flatten"), LayerDescription(type: "dense", units: 5),
                LayerDescription(type: "relu"), LayerDescription(type: "dense", units: 3),
            ]
        ).layout()
    }

    private func batch(_ rows: Int, width: Int, random: inout SeededRNG) -> (features: [Float], labels: [Int]) {
        (
            (0..<(rows * width)).map { _ in Float(random.nextGaussian()) },
            (0..<rows).map { _ in random.nextInt(below: 3) }
        )
    }

    func testStepsThroughOneWorkspaceEqualStepsWithoutOne() throws {
        let layout = try layout()
        let network = LayerNetwork(layout: layout, seed: 3)
        var random = SeededRNG(seed: 4)
        let workspace = TrainingWorkspace()
        // Sizes change between steps, as a training loop's last, smaller batch does.
        for rows in [4, 4, 1, 5, 4] {
            let (features, labels) = batch(rows, width: layout.inputSize, random: &random)
            let reused = network.lossAndGradient(features: features, labels: labels, rows: rows, workspace: workspace)
            let fresh = network.lossAndGradient(features: features, labels: labels, rows: rows)
            XCTAssertEqual(reused.loss, fresh.loss, "loss at \(rows) rows")
            XCTAssertEqual(reused.gradient, fresh.gradient, "gradient at \(rows) rows")
            let clippedReused = network.clippedGradientSum(
                features: features, labels: labels, rows: rows, clipNorm: 0.5, workspace: workspace)
            let clippedFresh = network.clippedGradientSum(features: features, labels: labels, rows: rows, clipNorm: 0.5)
            XCTAssertEqual(clippedReused.gradient, clippedFresh.gradient, "clipped sum at \(rows) rows")
            XCTAssertEqual(clippedReused.norms, clippedFresh.norms, "norms at \(rows) rows")
        }
    }

    /// The addresses of every buffer a step keeps are the same after the next step of the same
    /// size: nothing was copied because a second reference was left behind.
    func testASecondStepOfTheSameSizeWritesTheBuffersOfTheFirst() throws {
        let layout = try layout()
        let network = LayerNetwork(layout: layout, seed: 3)
        var random = SeededRNG(seed: 5)
        let workspace = TrainingWorkspace()
        func address<Element>(_ buffer: [Element]) -> UnsafeRawPointer? {
            buffer.isEmpty ? nil : buffer.withUnsafeBytes { UnsafeRawPointer($0.baseAddress) }
        }
        func addresses() -> [UnsafeRawPointer] {
            let pass = workspace.pass ?? .empty
            var buffers = (pass.inputs + workspace.deltas + [pass.logits, workspace.columnScratch]).map(address)
            for state in pass.states {
                switch state {
                case .none: continue
                case .convolution(let activations):
                    buffers += [address(activations.columns), address(activations.output)]
                case .normalization(let activations):
                    buffers += [activations.normalized, activations.inverseDeviations, activations.output].map(address)
                case .maximumIndices(let indices): buffers.append(address(indices))
                }
            }
            return buffers.compactMap { $0 }
        }
        var (features, labels) = batch(4, width: layout.inputSize, random: &random)
        _ = network.lossAndGradient(features: features, labels: labels, rows: 4, workspace: workspace)
        let first = addresses()
        XCTAssertGreaterThan(first.count, 20, "the workspace keeps the step's buffers")
        (features, labels) = batch(4, width: layout.inputSize, random: &random)
        _ = network.lossAndGradient(features: features, labels: labels, rows: 4, workspace: workspace)
        XCTAssertEqual(addresses(), first)
    }
}
