import StarlingCore

/// Turns stored samples into a dataset for one model: labels mapped through the manifest's class
/// names; samples with an unknown label, the wrong number of features or a feature that is not
/// finite (stored before the local API checked them) are left out.
enum LabelledDataset {
    static func make(_ samples: [LabelledSample], for manifest: ModelManifest) -> Dataset {
        let width = manifest.architecture.inputSize
        let classIndex = Dictionary(
            manifest.labels.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        var features: [Float] = []
        var labels: [Int] = []
        for sample in samples where sample.features.count == width && sample.features.allSatisfy(\.isFinite) {
            guard let label = classIndex[sample.label] else { continue }
            features.append(contentsOf: sample.features)
            labels.append(label)
        }
        return Dataset(featureCount: width, features: features, labels: labels)
    }

    /// Why none of `count` samples of a split fits the model, as a failure report says it.
    static func noFit(_ count: Int, for manifest: ModelManifest, split: String = "training") -> String {
        guard count > 0 else { return "the device has no \(split) samples" }
        return
            "none of the \(count) \(split) samples has \(manifest.architecture.inputSize) features and a label of \(manifest.name)"
    }
}
