import StarlingCore
import StarlingProtocol

/// A device's update that passed every check: its delta in the model's flat parameter order and
/// the metadata it reported.
struct ValidatedUpdate: Sendable {
    var trainSamples: Int
    var trainLoss: Double?
    var evalSamples: Int?
    var evalAccuracy: Double?
    var delta: [Float]
}

/// Checks an uploaded update against the model it trains: safetensors, exactly the model's tensor
/// names and shapes in F32, finite values, and metadata whose counts are within ``DeviceCounts``.
enum UpdateValidator {
    static func validate(_ bytes: [UInt8], architecture: ModelArchitecture) throws(APIError) -> ValidatedUpdate {
        let file: SafetensorsFile
        do {
            file = try SafetensorsFile(decoding: bytes)
        } catch {
            throw .badRequest(.invalidUpdate, "the update is not a safetensors file: \(error.description)")
        }
        let expected = architecture.tensorShapes
        guard Set(file.tensors.keys) == Set(expected.map(\.name)) else {
            throw shapeMismatch(
                "the update's tensors are \(file.tensors.keys.sorted()), the model's \(expected.map(\.name))")
        }
        var tensors: [String: Tensor] = [:]
        for (name, shape) in expected {
            guard let tensor = file.tensors[name], tensor.dtype == .f32, tensor.shape == shape else {
                throw shapeMismatch("tensor '\(name)' must be F32 of shape \(shape)")
            }
            do {
                tensors[name] = try file.floatTensor(name)
            } catch {
                throw shapeMismatch(error.description)
            }
        }
        let delta: [Float]
        do {
            delta = try Model(architecture: architecture, namedTensors: tensors).parameters
        } catch {
            throw shapeMismatch(error.description)
        }
        guard LargestMagnitude.allFinite(delta) else {
            throw .badRequest(.updateNotFinite, "the update holds NaN or infinite values")
        }
        return try metadata(file.metadata, delta: delta)
    }

    private static func metadata(_ values: [String: String], delta: [Float]) throws(APIError) -> ValidatedUpdate {
        guard let text = values[UpdateMetadataKey.trainSamples], let trainSamples = Int(text),
            (1...DeviceCounts.maximum).contains(trainSamples)
        else {
            throw invalid(
                "metadata '\(UpdateMetadataKey.trainSamples)' must be an integer in 1…\(DeviceCounts.maximum)")
        }
        let trainLoss = try values[UpdateMetadataKey.trainLoss].map { text throws(APIError) in
            guard let loss = Double(text), loss.isFinite, loss >= 0 else {
                throw invalid("metadata '\(UpdateMetadataKey.trainLoss)' must be a non-negative number")
            }
            return loss
        }
        let evalSamples = try values[UpdateMetadataKey.evalSamples].map { text throws(APIError) in
            guard let count = Int(text), (0...DeviceCounts.maximum).contains(count) else {
                throw invalid(
                    "metadata '\(UpdateMetadataKey.evalSamples)' must be an integer in 0…\(DeviceCounts.maximum)")
            }
            return count
        }
        let evalAccuracy = try values[UpdateMetadataKey.evalAccuracy].map { text throws(APIError) in
            guard let accuracy = Double(text), (0...1).contains(accuracy) else {
                throw invalid("metadata '\(UpdateMetadataKey.evalAccuracy)' must be a number in 0…1")
            }
            return accuracy
        }
        return ValidatedUpdate(
            trainSamples: trainSamples, trainLoss: trainLoss, evalSamples: evalSamples, evalAccuracy: evalAccuracy,
            delta: delta)
    }

    private static func shapeMismatch(_ message: String) -> APIError { .badRequest(.updateShapeMismatch, message) }
    private static func invalid(_ message: String) -> APIError { .badRequest(.invalidUpdate, message) }
}
