import StarlingProtocol

/// A device's plain evaluation upload: its ``EvaluationFigures`` as JSON, checked before it counts
/// (sample count, accuracy, loss and a confusion matrix that agree with each other), and the
/// cohort's figures combined from them.
enum EvaluationUpload {
    /// Decodes and checks one device's figures for a model with `classes` outputs; 400
    /// `invalid_evaluation` for anything inconsistent.
    static func decode(_ bytes: [UInt8], classes: Int) throws(APIError) -> EvaluationFigures {
        let figures = try RequestBody.decode(EvaluationFigures.self, from: bytes)
        func check(_ condition: Bool, _ message: String) throws(APIError) {
            if !condition { throw .badRequest(.invalidEvaluation, message) }
        }
        try check((1...DeviceCounts.maximum).contains(figures.samples), "samples must be 1…\(DeviceCounts.maximum)")
        try check(figures.accuracy.isFinite && (0...1).contains(figures.accuracy), "accuracy must be in [0, 1]")
        if let loss = figures.loss {
            try check(loss.isFinite && loss >= 0, "loss must be a non-negative number")
        }
        try check(figures.lossClippedDevices == 0, "a single device's figures clip nothing")
        if classes <= SecureMetricsLayout.maximumConfusionClasses {
            guard let confusion = figures.confusion else {
                throw .badRequest(.invalidEvaluation, "the confusion matrix is missing")
            }
            try check(
                confusion.count == classes && confusion.allSatisfy { $0.count == classes },
                "the confusion matrix must be \(classes)×\(classes)")
            try check(
                confusion.allSatisfy { $0.allSatisfy { (0...DeviceCounts.maximum).contains($0) } },
                "confusion counts must be non-negative")
            let total = confusion.reduce(0) { $0 + $1.reduce(0, +) }
            try check(total == figures.samples, "the confusion matrix counts \(total) samples, not \(figures.samples)")
            let correct = (0..<classes).reduce(0) { $0 + confusion[$1][$1] }
            let accuracy = Double(correct) / Double(total)
            try check(abs(accuracy - figures.accuracy) < 1e-9, "the accuracy does not match the confusion matrix")
        } else {
            try check(
                figures.confusion == nil,
                "models with more than \(SecureMetricsLayout.maximumConfusionClasses) classes send no confusion matrix")
        }
        return figures
    }

    /// The cohort's figures: samples and confusion summed, accuracy and loss weighted by samples;
    /// the loss is left out when any device did not measure it (its loss was not finite), and such
    /// devices are counted as clipped, as a secure sum reports them.
    static func combine(_ reports: [EvaluationFigures]) throws(APIError) -> EvaluationFigures {
        let samples = reports.reduce(0) { $0 + $1.samples }
        guard samples > 0 else { throw .internal("the evaluation has no held-out samples") }
        let accuracy = reports.reduce(0.0) { $0 + Double($1.samples) * $1.accuracy } / Double(samples)
        let losses = reports.compactMap { report in report.loss.map { (report.samples, $0) } }
        let loss =
            losses.count == reports.count
            ? losses.reduce(0.0) { $0 + Double($1.0) * $1.1 } / Double(samples) : nil
        var confusion = reports.first?.confusion
        for report in reports.dropFirst() {
            guard let matrix = report.confusion, let sum = confusion else {
                confusion = nil
                break
            }
            confusion = zip(sum, matrix).map { zip($0, $1).map(+) }
        }
        return EvaluationFigures(
            samples: samples, accuracy: accuracy, loss: loss, confusion: confusion,
            lossClippedDevices: reports.count - losses.count)
    }
}
