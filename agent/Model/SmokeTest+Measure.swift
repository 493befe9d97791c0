import StarlingProtocol

extension SmokeTest {
    /// Runs phase one of `model` on each of `samples` alone, as one prediction request would, and
    /// measures what a health gate compares: the share answered with the sample's label, the median
    /// latency of one prediction, the share without a finite answer (a sample whose width the model
    /// does not take counts as one), and the share whose top probability is below the manifest's
    /// confidence threshold (phase two would refine those). Every sample counts in each share.
    static func measure(_ model: InstalledModel, on samples: [LabelledSample]) -> SmokeTest {
        let manifest = model.manifest
        let width = manifest.architecture.inputSize
        let clock = ContinuousClock()
        var latencies: [Double] = []
        latencies.reserveCapacity(samples.count)
        var correct = 0
        var failed = 0
        var escalated = 0
        for sample in samples {
            guard sample.features.count == width else {
                failed += 1
                continue
            }
            var probabilities: [Float] = []
            let elapsed = clock.measure {
                probabilities = model.int8.predict(features: sample.features, rows: 1)
            }
            latencies.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1e3)
            guard probabilities.count == manifest.labels.count, probabilities.allSatisfy(\.isFinite),
                let best = probabilities.indices.max(by: { probabilities[$0] < probabilities[$1] })
            else {
                failed += 1
                continue
            }
            if manifest.labels[best] == sample.label { correct += 1 }
            if Double(probabilities[best]) < manifest.confidenceThreshold { escalated += 1 }
        }
        let count = Double(max(samples.count, 1))
        return SmokeTest(
            model: model.name, version: model.version, samples: samples.count,
            accuracy: samples.isEmpty ? nil : Double(correct) / count, latencyMs: median(latencies),
            errorRate: Double(failed) / count, escalationRate: Double(escalated) / count)
    }

    /// The middle value (the mean of the two middle ones for an even count); 0 for none.
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count.isMultiple(of: 2) ? (sorted[middle - 1] + sorted[middle]) / 2 : sorted[middle]
    }
}
