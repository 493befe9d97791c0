import Privacy
import StarlingCore
import StarlingProtocol

/// A device's contribution to a round: the weight delta (trained − base) as F32 tensors named like
/// the model's, plus the sample counts and metrics FedAvg weights it by, as safetensors metadata.
struct ModelUpdate: Sendable, Equatable {
    /// trained − base, in the model's flat parameter layout.
    var delta: Model
    var trainSamples: Int
    var trainLoss: Double
    var evalSamples: Int
    var evalAccuracy: Double

    /// The update of a training run that turned `base` into `trained`.
    init(base: Model, trained: Model, trainSamples: Int, trainLoss: Double, evalSamples: Int, evalAccuracy: Double)
        throws(ModelError)
    {
        guard trained.parameters.count == base.parameters.count else {
            throw .parameterCountMismatch(expected: base.parameters.count, actual: trained.parameters.count)
        }
        var difference = trained.parameters
        difference.withUnsafeMutableBufferPointer { difference in
            base.parameters.withUnsafeBufferPointer { base in
                for index in difference.indices { difference[index] -= base[index] }
            }
        }
        delta = try Model(architecture: base.architecture, parameters: difference)
        self.trainSamples = trainSamples
        self.trainLoss = trainLoss
        self.evalSamples = evalSamples
        self.evalAccuracy = evalAccuracy
    }

    /// Scales the delta down to L2 norm at most `clipNorm`, as user-level privacy requires.
    mutating func clipDelta(toNorm clipNorm: Double) throws(ModelError) {
        delta = try Model(
            architecture: delta.architecture, parameters: UpdateClipping.clip(delta.parameters, toNorm: clipNorm))
    }

    /// The upload body.
    func encoded() -> [UInt8] {
        var tensors: [String: SafetensorsTensor] = [:]
        for (name, tensor) in delta.namedTensors {
            tensors[name] = SafetensorsFile.float32(tensor)
        }
        let metadata = [
            UpdateMetadataKey.trainSamples: String(trainSamples),
            UpdateMetadataKey.trainLoss: String(trainLoss),
            UpdateMetadataKey.evalSamples: String(evalSamples),
            UpdateMetadataKey.evalAccuracy: String(evalAccuracy),
        ]
        return SafetensorsFile(tensors: tensors, metadata: metadata).encoded()
    }
}
