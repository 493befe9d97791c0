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

    /// Words per device vector: under user-level privacy a training vector is the clipped delta alone.
    func vectorLength(privacy: UserLevelPrivacy?) -> Int {
        switch self {
        case .training(let parameterCount): parameterCount + (privacy == nil ? SecureMetricsLayout.trainingSlots : 0)
        case .evaluation(let classes): SecureMetricsLayout.evaluationLength(classes: classes)
        case .statistics(let width, let grid): FeatureStatisticsLayout.vectorLength(width: width, grid: grid)
        case .monitor(let empty):
            MonitorWindowLayout.vectorLength(labels: empty.labels.count, bins: empty.features.map(\.count))
        }
    }

    var isTraining: Bool {
        if case .training = self { true } else { false }
    }
}

/// The secure-aggregation side of one attempt of a round: the SecAgg+ servers for its cohort, the
/// devices behind the client indices, and when the stage being collected opened. Turns the unmasked
/// sum back into what the devices summed: the weighted average delta and the federated metrics
/// (or, under user-level privacy, the noisy mean of the clipped deltas), the fleet's evaluation
/// figures, or the fleet's feature statistics.
///
/// A cohort larger than the plan's group size is split into groups (hierarchical secure
/// aggregation): each group runs SecAgg+ among its own devices, with its own neighbour graph,
/// session id and threshold, and loses its own dropouts; a group that falls below its threshold is
/// dropped whole while the others go on. The groups move through the stages together and the
/// aggregator adds their unmasked sums word by word, which is the cohort's sum: every group's
/// encoding leaves room for the whole cohort (`summandLimit`). The aggregator learns each group's
/// sum, never less: a group's sum covers at least its threshold of devices.
struct SecureRound: Sendable {
    /// One SecAgg+ aggregation among some of the cohort's devices: the whole cohort, or one of the
    /// groups a large cohort is split into.
    struct Group: Sendable {
        var server: SecAggServer
        /// Cohort positions by client index.
        let members: [Int]
        /// Why the group was dropped whole; nil while it goes on.
        var dropped: String?
    }

    /// Where a device takes part: its group and its client index there.
    struct Seat: Codable, Sendable, Equatable {
        let group: Int
        let client: Int
    }

    /// The unmasked sum of the groups still in, and how many devices it sums.
    struct Sum: Sendable {
        var words: [UInt32]
        var survivors: Int
        /// The groups dropped because their masks could not be removed, with why.
        var dropped: [(group: Int, reason: String)]
    }

    private(set) var groups: [Group]
    /// Device ids by cohort position.
    let cohort: [String]
    private let seats: [String: Seat]
    /// The fewest devices the whole cohort must keep to the end, over all its groups.
    let threshold: Int
    let plan: SecureAggregationPlan
    let layout: SecureVectorLayout
    /// Under user-level privacy, how devices encode and noise their clipped deltas.
    let encoding: UserLevelEncoding?
    /// When the stage being collected opened: the cohort's choice for key advertising.
    var stageOpenedAt: Date
    /// When a device last answered the stage being collected (its opening until one has).
    private(set) var lastAnswerAt: Date

    init(
        plan: SecureAggregationPlan, cohort: [String], sessionId: String, graphSeed: UInt64, layout: SecureVectorLayout,
        minClients: Int, privacy: UserLevelPrivacy?, openedAt: Date
    ) throws(SecureRoundError) {
        let vectorLength = layout.vectorLength(privacy: privacy)
        let ranges = plan.groups(cohort: cohort.count)
        var groups: [Group] = []
        var seats: [String: Seat] = [:]
        do {
            for (number, range) in ranges.enumerated() {
                let parameters = try SecAggParameters(
                    roundId: ranges.count == 1 ? sessionId : "\(sessionId).g\(number)", clientCount: range.count,
                    threshold: plan.threshold(group: range.count, cohort: cohort.count, minClients: minClients),
                    vectorLength: vectorLength, clippingRange: plan.clippingRange,
                    graphSeed: graphSeed &+ UInt64(number) &* 0x9E37_79B9_7F4A_7C15,
                    summandLimit: ranges.count == 1 ? nil : cohort.count)
                groups.append(Group(server: SecAggServer(parameters: parameters), members: Array(range)))
                for (client, position) in range.enumerated() {
                    seats[cohort[position]] = Seat(group: number, client: client)
                }
            }
        } catch {
            throw .secureAggregation(error)
        }
        do {
            // Each group's sum must carry the whole noise on its own: the aggregator sees it.
            let smallestThreshold = groups.map(\.server.parameters.threshold).min() ?? 1
            encoding = try (layout.isTraining ? privacy : nil).map { privacy throws(PrivacyError) in
                try UserLevelEncoding(
                    privacy, cohort: cohort.count, threshold: smallestThreshold, dimension: vectorLength)
            }
        } catch {
            throw .privacy(error)
        }
        self.groups = groups
        self.seats = seats
        self.cohort = cohort
        threshold = plan.threshold(cohort: cohort.count, minClients: minClients)
        self.plan = plan
        self.layout = layout
        stageOpenedAt = openedAt
        lastAnswerAt = openedAt
    }

    /// Where `device` takes part; nil for a device outside the cohort.
    func seat(of device: String) -> Seat? { seats[device] }

    /// What `device` is told in its round task; nil for a device outside the cohort.
    func task(for device: String) -> SecureAggregationTask? {
        guard let seat = seats[device] else { return nil }
        let parameters = groups[seat.group].server.parameters
        return SecureAggregationTask(
            sessionId: parameters.roundId, client: seat.client, clientCount: parameters.clientCount,
            threshold: parameters.threshold, neighbourCount: parameters.neighbourCount, graphSeed: parameters.graphSeed,
            vectorLength: parameters.vectorLength, clippingRange: parameters.clippingRange, weightCap: plan.weightCap,
            stageSeconds: plan.stageSeconds, encodingScale: encoding?.codec.scale,
            summandLimit: groups.count == 1 ? nil : cohort.count)
    }

    /// The reply the device at `seat` asks for in its group's open stage; nil while key
    /// advertising is open (there is nothing to wait for) and once every stage has closed.
    func reply(at seat: Seat) -> SecureReply? {
        let server = groups[seat.group].server
        switch server.stage {
        case .advertiseKeys, nil: return nil
        case .shareKeys: return .neighbourKeys(server.neighbourKeys(for: seat.client))
        case .maskedInput: return .relayedShares(server.relayedShares(for: seat.client))
        case .unmasking: return .unmasking(server.unmaskingRequest())
        }
    }

    /// Takes the masked input of the device at `seat` whose vector another replica added to its
    /// own sum (``SecAggServer/acceptMaskedInputSummedElsewhere(from:excluding:)``).
    mutating func acceptMaskedInputSummedElsewhere(
        at seat: Seat, excluding excluded: [Int], now: Date
    ) throws(APIError) {
        if let reason = groups[seat.group].dropped { throw Self.groupDropped(reason) }
        do {
            try groups[seat.group].server.acceptMaskedInputSummedElsewhere(from: seat.client, excluding: excluded)
        } catch {
            throw APIError(error)
        }
        lastAnswerAt = max(lastAnswerAt, now)
    }

    /// Adds masked inputs another replica summed into group `group`'s masked sum (or takes an
    /// input away), once the masked-input stage has closed.
    mutating func addToMaskedSum(group: Int, _ words: [UInt32], subtracting: Bool = false) throws(SecAggError) {
        try groups[group].server.addToMaskedSum(words, subtracting: subtracting)
    }

    /// What replicas that do not lead serve this session's devices from (``SecureSessionView``).
    func view(attempt: Int, round: Int) -> SecureSessionView {
        var replies: [String: SecureReply] = [:]
        for (device, seat) in seats where groups[seat.group].dropped == nil {
            if groups[seat.group].server.expected.contains(seat.client), let reply = reply(at: seat) {
                replies[device] = reply
            }
        }
        return SecureSessionView(
            attempt: attempt, round: round,
            tasks: Dictionary(
                uniqueKeysWithValues: seats.keys.compactMap { device in task(for: device).map { (device, $0) } }),
            seats: seats,
            groups: groups.map {
                SecureSessionView.Group(
                    dropped: $0.dropped, stage: $0.server.stage, expected: $0.server.expected.sorted(),
                    vectorLength: $0.server.parameters.vectorLength)
            },
            deviceNoise: encoding?.deviceNoise?.deviceStandardDeviation, replies: replies)
    }

    /// Takes the message of the device at `seat` for its group's open stage; 409 `secagg_dropped`
    /// when its group was dropped.
    mutating func receive(_ message: SecAggClientMessage, at seat: Seat, now: Date) throws(APIError) {
        if let reason = groups[seat.group].dropped { throw Self.groupDropped(reason) }
        do {
            try groups[seat.group].server.receive(message)
        } catch {
            throw APIError(error)
        }
        lastAnswerAt = max(lastAnswerAt, now)
    }

    static func groupDropped(_ reason: String) -> APIError {
        .conflict(.secaggDropped, "this device's group of the cohort was dropped (\(reason)) and takes no further part")
    }

    /// The groups still in.
    var liveGroups: [Group] { groups.filter { $0.dropped == nil } }

    /// The stage being collected; nil once every stage has closed (or every group was dropped).
    var stage: SecAggStage? { groups.first { $0.dropped == nil }?.server.stage }

    /// Whether every device the open stage waits for, in every group still in, has answered
    /// (asked after every message, so without gathering the groups still in).
    var stageComplete: Bool { groups.allSatisfy { $0.dropped != nil || $0.server.stageComplete } }

    /// Whether the open stage after key advertising may close before its deadline although some
    /// devices have not answered: every group still in has heard from at least halfway from its
    /// threshold to every device the stage waits for (so a later stage still has room for
    /// dropouts), and no device has answered for the plan's quiet time
    /// (``SecureAggregationPlan/quietWaitSeconds``). The devices silent by then have most likely
    /// vanished; waiting out the stage for them would hold up every group of the cohort.
    func hasGoneQuiet(at now: Date) -> Bool {
        guard now.timeIntervalSince(lastAnswerAt) >= plan.quietWaitSeconds, let stage, stage != .advertiseKeys,
            !stageComplete
        else { return false }
        return liveGroups.allSatisfy { group in
            let server = group.server
            return 2 * server.answered.count >= server.parameters.threshold + server.expected.count
        }
    }

    /// How many devices the open stage waits for, and how many of them have not answered.
    var expected: (devices: Int, silent: Int) {
        liveGroups.reduce((0, 0)) { total, group in
            let server = group.server
            return (total.0 + server.expected.count, total.1 + server.expected.count - server.answered.count)
        }
    }

    /// The devices a neighbour could not open the shares of, or that refused a neighbour's.
    var excludedDevices: [String] {
        liveGroups.flatMap { group in group.server.excludedClients.map { cohort[group.members[$0]] } }.sorted()
    }

    /// Stops expecting, in the open stage, every device `unavailable` names; returns whether any was expected.
    mutating func drop(where unavailable: (String) -> Bool) -> Bool {
        var dropped = false
        for index in groups.indices where groups[index].dropped == nil {
            for client in groups[index].server.expected where unavailable(cohort[groups[index].members[client]]) {
                dropped = groups[index].server.drop(client) || dropped
            }
        }
        return dropped
    }

    /// Closes the open stage of every group still in; the next one opens `now`. A group left below
    /// its threshold is dropped whole (returned with why); fewer than `threshold` devices left in
    /// all fails the round.
    mutating func closeStage(now: Date) throws(SecAggError) -> [(group: Int, reason: String)] {
        guard let closing = stage else { throw .tooFewSurvivors(stage: .unmasking, survivors: 0, threshold: threshold) }
        var dropped: [(group: Int, reason: String)] = []
        var failure: SecAggError?
        for index in groups.indices where groups[index].dropped == nil {
            do {
                try groups[index].server.closeStage()
            } catch {
                groups[index].dropped = error.description
                dropped.append((index, error.description))
                failure = error
            }
        }
        let left = liveGroups.reduce(0) { $0 + $1.server.expected.count }
        guard left >= threshold, left > 0 else {
            if groups.count == 1, let failure { throw failure }
            throw .tooFewSurvivors(stage: closing, survivors: left, threshold: threshold)
        }
        stageOpenedAt = now
        lastAnswerAt = now
        return dropped
    }

    /// The groups' unmasked sums added together (each group's encoding leaves room for the whole
    /// cohort, so nothing wraps); a group whose masks cannot be removed is dropped whole, and fewer
    /// than `threshold` devices left in all fails.
    func unmaskedSum() throws(SecAggError) -> Sum {
        var total = Sum(words: [], survivors: 0, dropped: [])
        var failure: SecAggError?
        for (index, group) in groups.enumerated() where group.dropped == nil {
            do {
                let words = try group.server.unmaskedSum()
                total.words = total.words.isEmpty ? words : zip(total.words, words).map { $0 &+ $1 }
                total.survivors += group.server.survivors.count
            } catch {
                total.dropped.append((index, error.description))
                failure = error
            }
        }
        guard total.survivors >= threshold, !total.words.isEmpty else {
            if groups.count == 1, let failure { throw failure }
            throw .tooFewSurvivors(stage: .unmasking, survivors: total.survivors, threshold: threshold)
        }
        return total
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
                sum: sum, survivors: survivors, parameters: groups[0].server.parameters, parameterCount: parameterCount,
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
        let totals = FixedPointCodec(groups[0].server.parameters).decodeSum(sum, summands: survivors)
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
