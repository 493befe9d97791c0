import StarlingCore

/// Turns stored samples into a dataset for one model: labels mapped through the manifest's class
/// names; samples with an unknown label or the wrong number of features are left out.
enum LabelledDataset {
    static func make(_ samples: [LabelledSample], for manifest: ModelManifest) -> Dataset {
        let width = manifest.architecture.inputSize
        let classIndex = Dictionary(manifest.labels.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        var features: [Float] = []
        var labels: [Int] = []
        for sample in samples where sample.features.count == width {
            guard let label = classIndex[sample.label] else { continue }
            features.append(contentsOf: sample.features)
            labels.append(label)
        }
        return Dataset(featureCount: width, features: features, labels: labels)
    }
}
