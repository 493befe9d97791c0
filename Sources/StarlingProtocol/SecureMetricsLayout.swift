/// How a device's figures ride in a securely aggregated vector, so that the unmasked sum yields
/// weighted fleet figures and nothing per device.
///
/// Each value must lie in [−1, 1] (the SecAgg+ fixed-point range). Sample counts become weights
/// `w = min(n, weightCap) / weightCap`; a mean figure `x` travels as `w·x`, a loss as
/// `w·min(loss, lossScale)/lossScale`. A loss beyond `lossScale` is never passed off as a
/// measurement: the device adds ``clippedUnit`` to the clipped slot, the sum counts such devices, and
/// the aggregator then reports the loss as clipped instead of giving a number.
///
/// Training (after the weighted delta): `w_train, w_train·loss/L, w_eval, w_eval·accuracy, clipped`.
/// Evaluation: `w, w·loss/L, w·accuracy, clipped`, then, for at most ``maximumConfusionClasses``
/// classes, the confusion matrix as `w·n_ij/n` row-major (true class i, predicted class j).
public enum SecureMetricsLayout {
    /// Losses are clipped to [0, lossScale] before encoding; a mean cross-entropy beyond it means
    /// the true class had probability below e^−256.
    public static let lossScale = 256.0
    /// What one device whose loss was clipped adds to the clipped slot (2^−10, exact in fixed point
    /// for any cohort).
    public static let clippedUnit = 1.0 / 1024
    /// The sample count at which a device's weight reaches 1; larger devices weigh the same.
    public static let weightCap = 10_000
    /// Slots after the delta in a training vector.
    public static let trainingSlots = 5
    /// Larger models report accuracy and loss, but no confusion matrix.
    public static let maximumConfusionClasses = 256

    /// The figures a training device encodes.
    public static func training(
        trainSamples: Int, trainLoss: Double, evalSamples: Int, evalAccuracy: Double, weightCap: Int
    ) -> [Float] {
        let trainWeight = weight(trainSamples, cap: weightCap)
        let evalWeight = weight(evalSamples, cap: weightCap)
        let (loss, clipped) = scaledLoss(trainLoss)
        return [trainWeight, trainWeight * loss, evalWeight, evalWeight * min(max(evalAccuracy, 0), 1), clipped]
            .map { Float($0) }
    }

    /// The weight a device's delta is multiplied by before encoding.
    public static func weight(_ samples: Int, cap: Int) -> Double {
        Double(min(max(samples, 0), cap)) / Double(max(cap, 1))
    }

    /// Slots in an evaluation vector for a model with `classes` outputs.
    public static func evaluationLength(classes: Int) -> Int {
        4 + (classes <= maximumConfusionClasses ? classes * classes : 0)
    }

    /// The figures an evaluating device encodes; `confusion[i][j]` counts samples of class i
    /// predicted as j (left out, like the matrix slots, for models with too many classes).
    public static func evaluation(
        samples: Int, meanLoss: Double, accuracy: Double, confusion: [[Int]]?, weightCap: Int
    ) -> [Float] {
        let w = weight(samples, cap: weightCap)
        let total = Double(max(samples, 1))
        let (loss, clipped) = scaledLoss(meanLoss)
        var values = [w, w * loss, w * min(max(accuracy, 0), 1), clipped]
        if let confusion, confusion.count <= maximumConfusionClasses {
            for row in confusion {
                values.append(contentsOf: row.map { w * Double($0) / total })
            }
        }
        return values.map { Float($0) }
    }

    /// Fleet figures from the decoded sums of training slots.
    public static func decodeTraining(_ sums: ArraySlice<Double>, weightCap: Int) -> VersionMetrics? {
        let slots = Array(sums)
        guard slots.count == trainingSlots, slots[0] > 0 else { return nil }
        let clippedDevices = Int((slots[4] / clippedUnit).rounded())
        return VersionMetrics(
            trainLoss: clippedDevices > 0 ? nil : max(0, slots[1] / slots[0] * lossScale),
            evalAccuracy: slots[2] > 0 ? min(1, max(0, slots[3] / slots[2])) : nil,
            trainSamples: Int((slots[0] * Double(weightCap)).rounded()),
            evalSamples: Int((max(0, slots[2]) * Double(weightCap)).rounded()),
            clipped: clippedDevices > 0
                ? [VersionMetrics.ClippedMetric(name: "train_loss", devices: clippedDevices)] : nil)
    }

    /// Fleet figures from the decoded sums of an evaluation vector.
    public static func decodeEvaluation(
        _ sums: [Double], classes: Int, weightCap: Int
    ) -> EvaluationFigures? {
        guard sums.count == evaluationLength(classes: classes), sums[0] > 0 else { return nil }
        let total = sums[0]
        let clippedDevices = Int((sums[3] / clippedUnit).rounded())
        let samples = Int((total * Double(weightCap)).rounded())
        var confusion: [[Int]]?
        if classes <= maximumConfusionClasses {
            confusion = (0..<classes).map { i in
                (0..<classes).map { j in max(0, Int((sums[4 + i * classes + j] / total * Double(samples)).rounded())) }
            }
        }
        return EvaluationFigures(
            samples: samples, accuracy: min(1, max(0, sums[2] / total)),
            loss: clippedDevices > 0 ? nil : max(0, sums[1] / total * lossScale), confusion: confusion,
            lossClippedDevices: clippedDevices)
    }

    private static func scaledLoss(_ loss: Double) -> (scaled: Double, clipped: Double) {
        guard loss.isFinite, loss <= lossScale else { return (1, clippedUnit) }
        return (max(loss, 0) / lossScale, 0)
    }
}

/// Evaluation figures of one device or of a whole cohort.
public struct EvaluationFigures: Codable, Sendable, Equatable {
    public var samples: Int
    public var accuracy: Double
    /// Mean cross-entropy; nil when a device's loss was beyond the encoding's range.
    public var loss: Double?
    /// Counts of true class i predicted as j; nil for models with too many classes.
    public var confusion: [[Int]]?
    /// Devices whose loss was clipped by the encoding.
    public var lossClippedDevices: Int

    public init(samples: Int, accuracy: Double, loss: Double?, confusion: [[Int]]?, lossClippedDevices: Int = 0) {
        self.samples = samples
        self.accuracy = accuracy
        self.loss = loss
        self.confusion = confusion
        self.lossClippedDevices = lossClippedDevices
    }
}
