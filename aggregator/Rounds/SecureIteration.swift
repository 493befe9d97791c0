import Foundation
import Privacy
import SecureAggregation
import StarlingProtocol

/// The secure-aggregation side of one iteration: the SecAgg+ server for its cohort, the devices
/// behind the client indices, and the deadline of the stage being collected. Turns the unmasked
/// sum back into the weighted average delta and the federated metrics, or, under user-level
/// privacy, into the noisy mean of the clipped deltas.
struct SecureIteration: Sendable {
    var server: SecAggServer
    /// Device ids by client index.
    let cohort: [String]
    let plan: SecureAggregationPlan
    let parameterCount: Int
    /// Under user-level privacy, how devices encode and noise their clipped deltas.
    let encoding: UserLevelEncoding?
    /// When the stage being collected closes, for every stage after key advertising.
    var stageDeadline: Date?

    init(
        plan: SecureAggregationPlan, cohort: [String], sessionId: String, graphSeed: UInt64, parameterCount: Int,
        minClients: Int, privacy: UserLevelPrivacy?
    ) throws(SecureIterationError) {
        let threshold = plan.threshold(cohort: cohort.count, minClients: minClients)
        do {
            let parameters = try SecAggParameters(
                roundId: sessionId, clientCount: cohort.count, threshold: threshold,
                vectorLength: parameterCount + (privacy == nil ? SecureAggregationTask.metricSlots : 0),
                clippingRange: plan.clippingRange, graphSeed: graphSeed)
            server = SecAggServer(parameters: parameters)
        } catch {
            throw .secureAggregation(error)
        }
        do {
            encoding = try privacy.map { privacy throws(PrivacyError) in
                try UserLevelEncoding(privacy, cohort: cohort.count, threshold: threshold, dimension: parameterCount)
            }
        } catch {
            throw .privacy(error)
        }
        self.cohort = cohort
        self.plan = plan
        self.parameterCount = parameterCount
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

    /// Closes the stage being collected; the next one gets `stageSeconds` from `now`.
    mutating func closeStage(now: Date) throws(SecAggError) {
        try server.closeStage()
        stageDeadline = server.stage == nil ? nil : now.addingTimeInterval(plan.stageSeconds)
    }

    /// The delta the unmasked sum stands for, and the metrics it carries: the survivors' weighted
    /// average and combined metrics, or under user-level privacy the noisy mean over the cohort
    /// with no metrics (nothing else computed from the devices' data leaves the aggregator).
    func average(sum: [UInt32], survivors: Int) throws(APIError) -> (delta: [Float], metrics: VersionMetrics) {
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
        let trainWeight = totals[parameterCount]
        let lossSum = totals[parameterCount + 1]
        let evalWeight = totals[parameterCount + 2]
        let correctSum = totals[parameterCount + 3]
        guard trainWeight > 0 else {
            throw .internal("the securely aggregated updates report no training samples")
        }
        let delta = totals[0..<parameterCount].map { Float($0 / trainWeight) }
        let metrics = VersionMetrics(
            trainLoss: max(0, lossSum / trainWeight * SecureAggregationTask.lossScale),
            evalAccuracy: evalWeight > 0 ? min(1, max(0, correctSum / evalWeight)) : nil,
            trainSamples: Int((trainWeight * Double(weightCap)).rounded()),
            evalSamples: Int((max(0, evalWeight) * Double(weightCap)).rounded()))
        return (delta, metrics)
    }
}

/// Why an iteration's secure aggregation could not be set up.
enum SecureIterationError: Error, CustomStringConvertible {
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
            self = .conflict("secagg_wrong_stage", error.description)
        case .duplicate:
            self = .conflict("duplicate_message", error.description)
        case .unexpectedClient:
            self = APIError(.forbidden, "not_in_stage", error.description)
        case .malformedMessage, .integrityFailure, .invalidParameters, .notEnoughShares, .unrecoverableClient:
            self = .badRequest("secagg_invalid_message", error.description)
        case .tooFewSurvivors:
            self = .conflict("round_closed", error.description)
        }
    }
}
