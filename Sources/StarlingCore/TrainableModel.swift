/// What the local trainer needs of a model: one flat parameter vector, the width of an input row,
/// the number of classes, where the weights lie (weight decay shrinks them, not biases or
/// normalisation scales), the batch-mean cross-entropy with its gradient, and softmax probabilities.
/// Dense networks (``MLP``) and layer networks (``LayerNetwork``) both train through ``Trainer``.
public protocol TrainableModel: Sendable {
    var parameters: [Float] { get set }
    var inputSize: Int { get }
    var classCount: Int { get }
    var weightRanges: [Range<Int>] { get }
    /// Mean cross-entropy over the batch and its gradient; `workspace` lends the step its buffers.
    func lossAndGradient(features: [Float], labels: [Int], rows: Int, workspace: TrainingWorkspace) -> (
        loss: Float, gradient: [Float]
    )
    func probabilities(features: [Float], rows: Int) -> [Float]
    /// DP-SGD's sum of per-example gradients clipped to `clipNorm`, computed without a loop over
    /// examples; the gradient returned is `initial + scale · sum`.
    func clippedGradientSum(
        features: [Float], labels: [Int], rows: Int, clipNorm: Float, scale: Float,
        addingTo initial: consuming [Float]?,
        workspace: TrainingWorkspace
    ) -> (lossSum: Float, gradient: [Float], norms: [Float])
}

extension TrainableModel {
    /// Traps on a batch whose labels do not match its rows or name a class the model does not have
    /// (callers check untrusted data before it reaches a model).
    func checkBatch(labels: [Int], rows: Int) {
        precondition(labels.count == rows, "labels.count \(labels.count) != rows \(rows)")
        precondition(labels.allSatisfy { (0..<classCount).contains($0) }, "labels must be in 0..<\(classCount)")
    }
}

extension MLP: TrainableModel {
    public var inputSize: Int { architecture.inputSize }
    public var classCount: Int { architecture.outputSize }
    public var weightRanges: [Range<Int>] { architecture.layers.map(\.weightRange) }

    /// A dense network's step allocates its few activations itself: the workspace is not used.
    public func lossAndGradient(features: [Float], labels: [Int], rows: Int, workspace _: TrainingWorkspace) -> (
        loss: Float, gradient: [Float]
    ) {
        lossAndGradient(features: features, labels: labels, rows: rows)
    }

    public func clippedGradientSum(
        features: [Float], labels: [Int], rows: Int, clipNorm: Float, scale: Float,
        addingTo initial: consuming [Float]?,
        workspace _: TrainingWorkspace
    ) -> (lossSum: Float, gradient: [Float], norms: [Float]) {
        clippedGradientSum(
            features: features, labels: labels, rows: rows, clipNorm: clipNorm, scale: scale, addingTo: initial)
    }
}

extension LayerNetwork: TrainableModel {
    public var inputSize: Int { layout.inputSize }
    public var classCount: Int { layout.classes }
    /// Dense, convolution and depthwise weights; group normalisation's gamma is a scale, not a weight.
    public var weightRanges: [Range<Int>] {
        layout.layers.compactMap { placed in
            switch placed.layer {
            case .dense, .convolution, .depthwise: placed.weightRange
            case .groupNormalization, .maxPooling, .averagePooling, .globalAveragePooling, .rectifier, .flatten: nil
            }
        }
    }
}
