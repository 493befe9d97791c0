import StarlingCore
import StarlingProtocol

/// Safetensors round-update bodies, as a device uploads them, for tests of the update path.
public enum UpdateBody {
    /// An update for `architecture` whose every delta is `value`.
    public static func make(
        _ architecture: ModelArchitecture, value: Float, trainSamples: Int = 50, evalSamples: Int = 10,
        evalAccuracy: Double = 0.5
    ) throws -> [UInt8] {
        try make(
            architecture, delta: [Float](repeating: value, count: architecture.parameterCount),
            trainSamples: trainSamples, evalSamples: evalSamples, evalAccuracy: evalAccuracy)
    }

    /// An update for `architecture` carrying `delta` in the model's flat parameter order.
    public static func make(
        _ architecture: ModelArchitecture, delta: [Float], trainSamples: Int = 50, evalSamples: Int = 10,
        evalAccuracy: Double = 0.5
    ) throws -> [UInt8] {
        let model = try MLP(architecture: architecture, parameters: delta)
        var tensors: [String: SafetensorsTensor] = [:]
        for (name, tensor) in model.namedTensors { tensors[name] = SafetensorsFile.float32(tensor) }
        let metadata = [
            UpdateMetadataKey.trainSamples: "\(trainSamples)", UpdateMetadataKey.trainLoss: "1.5",
            UpdateMetadataKey.evalSamples: "\(evalSamples)", UpdateMetadataKey.evalAccuracy: "\(evalAccuracy)",
        ]
        return SafetensorsFile(tensors: tensors, metadata: metadata).encoded()
    }
}
