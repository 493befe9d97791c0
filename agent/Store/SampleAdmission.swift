import StarlingProtocol

/// What the device accepts as a training sample, checked before anything is stored: one poisoned
/// sample would otherwise reach every later round (a feature of 1e300 becomes +inf in float32 and
/// turns every update NaN).
///
/// Every feature is finite within float32's range; every sample of a batch has the same number of
/// features, which is the running model's input width or, with no model yet, that of the samples
/// stored last; labels are 1…``maximumLabelBytes`` bytes without control characters and, with a
/// model running, one of its class names; a batch holds at most ``maximumBatch`` samples of at most
/// ``maximumFeatures`` features.
struct SampleAdmission: Sendable {
    static let maximumBatch = 10_000
    static let maximumFeatures = 65_536
    static let maximumLabelBytes = 128

    /// The width every sample must have; nil while the device has neither a model nor samples.
    var width: Int?
    /// The labels a sample may carry; nil while no model is running.
    var labels: Set<String>?

    /// Why a sample is refused: the sentence of a 400 `invalid_samples` or `invalid_features`.
    enum Refusal: Error, Equatable {
        case samples(String)
        case features(String)

        var message: String {
            switch self {
            case .samples(let message), .features(let message): message
            }
        }
    }

    /// The batch as stored samples, or the first reason to refuse it whole.
    func admit(_ batch: [SampleBatch.Sample]) throws(Refusal) -> [LabelledSample] {
        guard (1...Self.maximumBatch).contains(batch.count) else {
            throw .samples("A batch holds 1 to \(Self.maximumBatch) samples, and this one has \(batch.count).")
        }
        let expected = width ?? batch[0].features.count
        for (index, sample) in batch.enumerated() {
            try check(sample, at: index, width: expected)
        }
        return batch.map { LabelledSample(features: $0.features.map(Float.init), label: $0.label) }
    }

    private func check(_ sample: SampleBatch.Sample, at index: Int, width: Int) throws(Refusal) {
        guard (1...Self.maximumFeatures).contains(sample.features.count) else {
            throw .features(
                "Sample \(index) has \(sample.features.count) features; 1 to \(Self.maximumFeatures) are allowed.")
        }
        guard sample.features.count == width else {
            let whose = self.width == nil ? "the batch's first sample has" : "this device's samples have"
            throw .features("Sample \(index) has \(sample.features.count) features, but \(whose) \(width).")
        }
        guard sample.features.allSatisfy(\.isFiniteAsFloat) else {
            throw .features("Sample \(index) holds a feature that is not a finite number within ±3.4e38.")
        }
        guard (1...Self.maximumLabelBytes).contains(sample.label.utf8.count) else {
            throw .samples(
                "Sample \(index) has a label of \(sample.label.utf8.count) bytes; 1 to \(Self.maximumLabelBytes) are allowed."
            )
        }
        if let found = ControlCharacters.first(in: sample.label) {
            throw .samples("Sample \(index) has a label with a control character (\(found)).")
        }
        if let labels, !labels.contains(sample.label) {
            throw .samples("Sample \(index) has the label '\(sample.label)', which the running model does not know.")
        }
    }
}
