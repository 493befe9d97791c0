import StarlingProtocol

/// The metrics of a version made by a round: training loss weighted by each device's training
/// samples, evaluation accuracy weighted by its held-out samples (each capped as
/// ``DeviceCounts/weight(_:)`` caps them, as the secure path does), and the totals. Every count was
/// bounded by ``DeviceCounts/maximum`` when it was admitted, so the sums cannot overflow.
enum FederatedMetrics {
    static func combine(_ updates: [some UpdateFigures]) -> VersionMetrics {
        let trainSamples = updates.reduce(0) { $0 + $1.trainSamples }
        let withLoss = updates.compactMap { update in
            update.trainLoss.map { (DeviceCounts.weight(update.trainSamples), $0) }
        }
        let lossWeight = withLoss.reduce(0) { $0 + $1.0 }
        let withAccuracy = updates.compactMap { update -> (Int, Double)? in
            guard let n = update.evalSamples, let accuracy = update.evalAccuracy else { return nil }
            return (n, accuracy)
        }
        let evalSamples = withAccuracy.reduce(0) { $0 + $1.0 }
        let accuracyWeight = withAccuracy.reduce(0) { $0 + DeviceCounts.weight($1.0) }
        return VersionMetrics(
            trainLoss: lossWeight > 0 ? withLoss.reduce(0) { $0 + Double($1.0) * $1.1 } / Double(lossWeight) : nil,
            evalAccuracy: accuracyWeight > 0
                ? withAccuracy.reduce(0) { $0 + Double(DeviceCounts.weight($1.0)) * $1.1 } / Double(accuracyWeight)
                : nil,
            trainSamples: trainSamples,
            evalSamples: evalSamples)
    }
}

/// The figures a training update reports beside its delta, as uploaded or as stored.
protocol UpdateFigures {
    var trainSamples: Int { get }
    var trainLoss: Double? { get }
    var evalSamples: Int? { get }
    var evalAccuracy: Double? { get }
}

extension ValidatedUpdate: UpdateFigures {}
extension RoundUpdateRecord: UpdateFigures {}
