import Foundation
import Privacy
import SecureAggregation
import StarlingCore
import StarlingProtocol

/// What the devices of a secure round put in their vectors.
enum SecureVectorLayout: Sendable, Equatable {
    /// A training round: the weighted delta of `parameterCount` values and the training figures
    /// (``SecureMetricsLayout``), or under user-level privacy the clipped delta alone.
    case training(parameterCount: Int)
    /// An evaluation round of a model with `classes` outputs: its evaluation figures.
    case evaluation(classes: Int)
    /// A statistics round: the words of each device's ``FeatureStatistics``.
    case statistics(width: Int, grid: LogBucketGrid)
    /// A monitor round: the words of each device's window sum (``MonitorWindowLayout``), shaped as
    /// `empty`.
    case monitor(empty: MonitorWindow)
}

/// The secure-aggregation side of one attempt of a round: the SecAgg+ server for its cohort, the
/// devices behind the client indices, and when the stage being collected opened. Turns the unmasked
/// sum back into what the devices summed: the weighted average delta and the federated metrics
/// (or, under user-level privacy, the noisy mean of the clipped deltas), the fleet's evaluation
/// figures, or the fleet's feature statistics.
struct SecureRound: Sendable {
    var server: SecAggServer
    /// Device ids by client index.
    let cohort: [String]
    let plan: SecureAggregationPlan
    let layout: SecureVectorLayout
    /// Under user-level privacy, how devices encode and noise their clipped deltas.
    let encoding: UserLevelEncoding?
    /// When the stage being collected opened: the cohort's choice for key advertising.
    var stageOpenedAt: Date

    init(
        plan: SecureAggregationPlan, cohort: [String], sessionId: String, graphSeed: UInt64, layout: SecureVectorLayout,
        minClients: Int, privacy: UserLevelPrivacy?, openedAt: Date
    ) throws(SecureRoundError) {
        let threshold = plan.threshold(cohort: cohort.count, minClients: minClients)
        let vectorLength: Int
        var userLevel: UserLevelPrivacy?
        switch layout {
        case .training(let parameterCount):
            vectorLength = parameterCount + (privacy == nil ? SecureMetricsLayout.trainingSlots : 0)
            userLevel = privacy
        case .evaluation(let classes):
            vectorLength = SecureMetricsLayout.evaluationLength(classes: classes)
        case .statistics(let width, let grid):
            vectorLength = FeatureStatisticsLayout.vectorLength(width: width, grid: grid)
        case .monitor(let empty):
            vectorLength = MonitorWindowLayout.vectorLength(
                labels: empty.labels.count, bins: empty.features.map(\.count))
        }
        do {
            let parameters = try SecAggParameters(
                roundId: sessionId, clientCount: cohort.count, threshold: threshold, vectorLength: vectorLength,
                clippingRange: plan.clippingRange, graphSeed: graphSeed)
            server = SecAggServer(parameters: parameters)
        } catch {
            throw .secureAggregation(error)
        }
        do {
            encoding = try userLevel.map { privacy throws(PrivacyError) in
                try UserLevelEncoding(privacy, cohort: cohort.count, threshold: threshold, dimension: vectorLength)
            }
        } catch {
            throw .privacy(error)
        }
        self.cohort = cohort
        self.plan = plan
        self.layout = layout
        stageOpenedAt = openedAt
    }

    func index(of device: String) -> Int? { cohort.firstIndex(of: device) }

    /// What device `index` is told in its round task.
    func task(for index: Int) -> SecureAggregationTask {
        let parameters = server.parameters
        return SecureAggregationTask(
            sessionId: parameters.roundId, client: index, clientCount: parameters.clientCount,
            threshold: parameters.threshold, neighbourCount: parameters.neighbourCount, graphSeed: parameters.graphSeed,
            vectorLength: parameters.vectorLength, clippingRange: parameters.clippingRange, weightCap: plan.weightCap,
            stageSeconds: plan.stageSeconds, encodingScale: encoding?.codec.scale)
    }

    /// Closes the stage being collected; the next one opens `now` (the run's machine keeps its deadline).
    mutating func closeStage(now: Date) throws(SecAggError) {
        try server.closeStage()
        stageOpenedAt = now
    }

    /// The delta the unmasked sum stands for, and the metrics it carries: the survivors' weighted
    /// average and combined metrics, or under user-level privacy the noisy mean over the cohort
    /// with no metrics (nothing else computed from the devices' data leaves the aggregator).
    func average(sum: [UInt32], survivors: Int) throws(APIError) -> (delta: [Float], metrics: VersionMetrics) {
        guard case .training(let parameterCount) = layout else {
            throw .internal("the round's secure sum holds no model update")
        }
        guard let encoding else {
            return try Self.average(
                sum: sum, survivors: survivors, parameters: server.parameters, parameterCount: parameterCount,
                weightCap: plan.weightCap)
        }
        let delta = UserLevelAggregation.noisyMean(
            sum: encoding.codec.decodeSum(sum), noiseStandardDeviation: encoding.aggregatorNoiseStandardDeviation,
            cohort: cohort.count)
        return (delta, VersionMetrics())
    }

    /// The survivors' weighted average delta and their combined metrics, from the unmasked sum.
    static func average(
        sum: [UInt32], survivors: Int, parameters: SecAggParameters, parameterCount: Int, weightCap: Int
    ) throws(APIError) -> (delta: [Float], metrics: VersionMetrics) {
        let totals = FixedPointCodec(parameters).decodeSum(sum, summands: survivors)
        guard let metrics = SecureMetricsLayout.decodeTraining(totals[parameterCount...], weightCap: weightCap) else {
            throw .internal("the securely aggregated updates report no training samples")
        }
        let trainWeight = totals[parameterCount]
        let delta = totals[0..<parameterCount].map { Float($0 / trainWeight) }
        return (delta, metrics)
    }

    /// The fleet's evaluation figures from the unmasked sum of an evaluation round.
    func evaluation(sum: [UInt32], survivors: Int) throws(APIError) -> EvaluationFigures {
        guard case .evaluation(let classes) = layout else {
            throw .internal("the round's secure sum holds no evaluation")
        }
        let totals = FixedPointCodec(server.parameters).decodeSum(sum, summands: survivors)
        guard let figures = SecureMetricsLayout.decodeEvaluation(totals, classes: classes, weightCap: plan.weightCap)
        else {
            throw .internal("the securely aggregated evaluation holds no held-out samples")
        }
        return figures
    }

    /// The fleet's feature statistics and how many devices they came from, from the unmasked sum
    /// of a statistics round.
    func statistics(sum: [UInt32]) throws(APIError) -> (statistics: FeatureStatistics, devices: Int) {
        guard case .statistics(let width, let grid) = layout else {
            throw .internal("the round's secure sum holds no feature statistics")
        }
        do {
            return try FeatureStatisticsLayout.decodeSum(sum, width: width, grid: grid)
        } catch {
            throw .internal("the securely aggregated statistics do not decode: \(error)")
        }
    }
}

extension SecureRound {
    /// The fleet's window and how many devices it sums, from the unmasked sum of a monitor round.
    func monitorWindow(sum: [UInt32]) throws(APIError) -> (window: MonitorWindow, devices: Int) {
        guard case .monitor(let empty) = layout, let decoded = MonitorWindowLayout.decodeSum(sum, into: empty) else {
            throw .internal("the securely aggregated monitor windows do not decode")
        }
        return decoded
    }
}

/// Why an round's secure aggregation could not be set up.
enum SecureRoundError: Error, CustomStringConvertible {
    case secureAggregation(SecAggError)
    case privacy(PrivacyError)

    var description: String {
        switch self {
        case .secureAggregation(let error): "\(error)"
        case .privacy(let error): error.description
        }
    }
}

extension APIError {
    /// The API answer for a secure-aggregation message the protocol refused.
    init(_ error: SecAggError) {
        switch error {
        case .wrongRound, .wrongStage:
            self = .conflict(.secaggWrongStage, error.description)
        case .duplicate:
            self = .conflict(.duplicateMessage, error.description)
        case .unexpectedClient:
            self = APIError(.forbidden, .notInStage, error.description)
        case .malformedMessage, .integrityFailure, .invalidParameters, .notEnoughShares, .unrecoverableClient:
            self = .badRequest(.secaggInvalidMessage, error.description)
        case .tooFewSurvivors:
            self = .conflict(.roundClosed, error.description)
        }
    }
}
