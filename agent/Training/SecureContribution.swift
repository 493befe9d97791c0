import NIOCore
import Privacy
import SecureAggregation
import StarlingCore
import StarlingProtocol
import StarlingTransport

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// A device's part in one secure aggregation: it encodes its contribution as one vector and walks
/// the four SecAgg+ stages with the aggregator, which only ever sees the vector masked. The keys and
/// the shares ask for the following stage's reply in their own exchange, which the aggregator holds
/// until the reply is ready; the unmasking request, and a reply that was not ready in time, are
/// long-polled. The walk gives up when the protocol's time is clearly over, and at once when the
/// aggregator says it restarted the round (409 `stage_restarted`): the new attempt comes through the
/// watch as a task of its own.
struct SecureContribution {
    let client: StarlingHTTPClient
    let task: RoundTask
    let secure: SecureAggregationTask
    /// A simulated device (``FleetSimulation``) that loses power before this stage: it sends
    /// nothing from that stage on, and the aggregator recovers its masks as for any dropout.
    var vanishesBefore: SecAggStage? = nil
    /// The process's turns at masking and sending, when many devices share it (``FleetSimulation``).
    var maskingTurns: MaskedInputTurns? = nil

    /// Takes part with a training update.
    func submit(_ update: consuming ModelUpdate) async throws(AgentError) {
        let words = try encode(update)
        _ = consume update
        try await submit(words: words)
    }

    /// Takes part with a training update made only when the device's turn to mask comes
    /// (``maskingTurns``), after the key stages: a process of many devices (``FleetSimulation``)
    /// then holds the few updates of its turns, not one a device through the key stages (4 GB at
    /// 10,000 devices of 100k parameters, which the kernel has to find and zero). An update that
    /// cannot be made leaves the device out from the masked-input stage on, as a dropout.
    func submit(updateMadeWhenMasking make: @escaping @Sendable () async throws(AgentError) -> ModelUpdate)
        async throws(AgentError)
    {
        try await take(part: .madeWhenMasking { () async throws(AgentError) -> [UInt32] in try encode(await make()) })
    }

    /// Takes part with evaluation figures, laid out by ``SecureMetricsLayout``.
    func submit(_ figures: EvaluationFigures) async throws(AgentError) {
        let values = SecureMetricsLayout.evaluation(
            samples: figures.samples, meanLoss: figures.loss ?? .infinity, accuracy: figures.accuracy,
            confusion: figures.confusion, weightCap: secure.weightCap)
        try await submit(words: try fixedPoint(values))
    }

    /// Takes part with feature statistics, as their exact integer words.
    func submit(_ statistics: FeatureStatistics) async throws(AgentError) {
        let words: [UInt32]
        do {
            words = try FeatureStatisticsLayout.encode(statistics).words
        } catch {
            throw .secureAggregation("the statistics cannot be encoded: \(error)")
        }
        try await submit(words: words)
    }

    /// Takes part with raw words (a monitor run's ``MonitorWindowLayout``), masked in place.
    func submit(words input: consuming [UInt32]) async throws(AgentError) {
        try checkLength(of: input)
        try await take(part: .words(input))
    }

    /// What the device masks: words it has, or words it makes when its turn to mask comes.
    private enum Contribution {
        case words([UInt32])
        case madeWhenMasking(@Sendable () async throws(AgentError) -> [UInt32])
    }

    private func checkLength(of words: [UInt32]) throws(AgentError) {
        guard words.count == secure.vectorLength else {
            throw .secureAggregation(
                "the contribution has \(words.count) values, the aggregation expects \(secure.vectorLength)")
        }
    }

    /// Walks the four stages with `input`.
    private func take(part input: consuming Contribution) async throws(AgentError) {
        var protocolClient: SecAggClient
        do {
            protocolClient = try SecAggClient(parameters: try parameters(), index: secure.client)
        } catch {
            throw .secureAggregation(error.description)
        }
        do {
            var replyWait = Self.compatibleReplyWaitSeconds
            guard present(at: .advertiseKeys) else { return }
            let keys: NeighbourKeys? = try await send(
                .advertiseKeys, try protocolClient.advertiseKeys(), replyWait: &replyWait)
            guard let keys else { return }
            let relayed: RelayedShares? = try await send(
                .shareKeys, try protocolClient.shareKeys(keys), replyWait: &replyWait)
            guard let relayed else { return }
            try await maskAndSend(relayed, input: consume input, with: &protocolClient)
            guard present(at: .unmasking) else { return }
            let unmasking: UnmaskingRequest = try await reply(for: .unmasking, wait: replyWait)
            try await deliver(
                .unmasking, ByteBuffer(bytes: SecAggBinary.encode(try protocolClient.unmask(unmasking))),
                contentType: SecAggBinary.mediaType)
        } catch let error as SecAggError {
            throw .secureAggregation(error.description)
        } catch let error as AgentError {
            throw error
        } catch let error as StarlingHTTPError {
            throw AgentError(roundCall: error)
        } catch {
            throw .secureAggregation("\(error)")
        }
    }

    /// Masks `input` in place (making it first, when it is made when masking) and posts it, as bare
    /// words from its own storage, in one of the process's turns when it has them. It asks nothing
    /// of the unmasking stage in the same exchange: the answer comes once the aggregator has the
    /// words, so the turn, and the words, are given up then and not held until the stage closes,
    /// and a dropped link is sent again.
    private func maskAndSend(
        _ relayed: RelayedShares, input: consuming Contribution, with protocolClient: inout SecAggClient
    ) async throws {
        try await maskingTurns?.take()
        defer { maskingTurns?.give() }
        let words: [UInt32]
        switch consume input {
        case .words(let given): words = given
        case .madeWhenMasking(let make):
            words = try await make()
            try checkLength(of: words)
        }
        let masked = try protocolClient.maskInput(relayed, input: consume words)
        let query = masked.excludedQueryItem.map { "&" + $0 } ?? ""
        let body = masked.withWireBytes { ByteBuffer(bytes: $0) }
        _ = consume masked
        try await deliver(.maskedInput, body, contentType: "application/octet-stream", query: query)
    }

    /// Whether the device still takes part when `stage` opens.
    private func present(at stage: SecAggStage) -> Bool { vanishesBefore.map { stage < $0 } ?? true }

    private func parameters() throws(SecAggError) -> SecAggParameters {
        try SecAggParameters(
            roundId: secure.sessionId, clientCount: secure.clientCount, threshold: secure.threshold,
            vectorLength: secure.vectorLength, clippingRange: secure.clippingRange, graphSeed: secure.graphSeed,
            neighbourCount: secure.neighbourCount, summandLimit: secure.summandLimit)
    }

    /// The update as the aggregated vector: a·delta then the training figures, with a the train
    /// sample count over the weight cap (see ``SecureAggregationTask``); under user-level privacy
    /// the clipped delta alone in signed fixed point, plus the device's discrete Gaussian noise in
    /// distributed mode.
    private func encode(_ update: ModelUpdate) throws(AgentError) -> [UInt32] {
        guard let scale = secure.encodingScale else {
            let weight = Float(SecureMetricsLayout.weight(update.trainSamples, cap: secure.weightCap))
            let figures = SecureMetricsLayout.training(
                trainSamples: update.trainSamples, trainLoss: update.trainLoss, evalSamples: update.evalSamples,
                evalAccuracy: update.evalAccuracy, weightCap: secure.weightCap)
            return try fixedPoint(update.delta.parameters, scaledBy: weight, then: figures)
        }
        var random = SecureRandom()
        var integers = SignedFixedPoint(scale: scale).round(update.delta.parameters, using: &random)
        if let deviation = task.privacy?.deviceNoiseStandardDeviation {
            DiscreteGaussianNoise.add(standardDeviation: deviation, to: &integers, using: &random)
        }
        return SignedFixedPoint.wrap(integers)
    }

    /// Real values in the SecAgg+ fixed-point encoding, rounded stochastically. A value that is not
    /// finite is refused rather than encoded (the encoding would make it zero and hide it in the sum).
    private func fixedPoint(_ values: [Float], scaledBy weight: Float = 1, then tail: [Float] = [])
        throws(AgentError) -> [UInt32]
    {
        guard (weight * LargestMagnitude.of(values)).isFinite, LargestMagnitude.allFinite(tail) else {
            throw .secureAggregation("refusing to mask a vector that holds values that are not finite")
        }
        do {
            var rng = SeededRNG(seed: task.seed)
            return FixedPointCodec(try parameters()).encode(values, scaledBy: weight, then: tail, using: &rng)
        } catch {
            throw .secureAggregation(error.description)
        }
    }

    /// When the protocol's time is over for this device: the round's deadline and four stages after it.
    private var giveUp: Date { task.deadline.addingTimeInterval(secure.stageSeconds * 4) }

    /// Posts `body` as this device's message of `stage` with nothing asked of the following stage,
    /// again after a dropped link until the protocol's time is over.
    private func deliver(_ stage: SecAggStage, _ body: ByteBuffer, contentType: String, query: String = "")
        async throws(StarlingHTTPError)
    {
        let (client, path) = (client, path(stage) + query)
        try await Rejoin.deliver(until: giveUp, alreadyDelivered: [.duplicateMessage]) { () throws(StarlingHTTPError) in
            let _: SecureAggregationReceipt = try await client.post(path, body: body, contentType: contentType)
        }
    }

    /// Posts this device's message of `stage` in the binary form (``SecAggBinary``) and asks for the
    /// following stage's reply in the same exchange (`next`), held up to ``replyWaitSeconds``: the
    /// reply, or nil when the device does not take part in that stage. The answer is the reply
    /// (200) or a receipt (202 when it was not ready in time; the 200 receipt of an aggregator that
    /// does not know `next`), and then the reply is long-polled on its own, up to `replyWait`
    /// seconds a request: raised to ``replyWaitSeconds`` once the aggregator showed it knows `next`.
    ///
    /// Sent again after a dropped link until the protocol's time is over. The answer is held until
    /// the stage closes, so a retry may find it closed (409 `secagg_wrong_stage`) whether or not the
    /// first attempt was taken, as it may find the message there (409 `duplicate_message`): either
    /// way the following stage's reply, asked for on its own, says whether the device goes on.
    private func send<Message: SecAggBinaryMessage, Reply: SecAggBinaryMessage>(
        _ stage: SecAggStage, _ message: Message, replyWait: inout Int
    ) async throws(StarlingHTTPError) -> Reply? {
        let body = ByteBuffer(bytes: SecAggBinary.encode(message))
        guard let next = SecAggStage.allCases.first(where: { $0 > stage }), present(at: next) else {
            try await deliver(stage, body, contentType: SecAggBinary.mediaType)
            return nil
        }
        let (client, path) = (client, path(stage) + "&next=\(Self.replyWaitSeconds)")
        let answer = try await Rejoin.exchange(
            until: giveUp, alreadyDelivered: [.duplicateMessage, .secaggWrongStage]
        ) { () throws(StarlingHTTPError) in
            try await client.exchange(
                path, body: body, contentType: SecAggBinary.mediaType, accept: SecAggBinary.mediaType,
                timeout: .seconds(Self.replyWaitSeconds + 15))
        }
        let isReply = answer?.status == 200 && answer?.contentType?.hasPrefix(SecAggBinary.mediaType) == true
        if isReply || answer?.status == 202 { replyWait = Self.replyWaitSeconds }
        guard let answer, isReply else { return try await reply(for: next, wait: replyWait) }
        return try Self.decode(Reply.self, of: next, from: answer.body)
    }

    /// How long the aggregator may hold a request for a stage's reply: a stage of a large cohort
    /// can take minutes, and every device of it waits; as long as a watch.
    static let replyWaitSeconds = Int(WatchService.waitSeconds)

    /// The longest hold every aggregator takes (those that do not know `next` refuse more than 55 s).
    static let compatibleReplyWaitSeconds = 50

    /// Long-polls the aggregator's reply for `stage` until it is ready or the protocol's time is
    /// over, asking again when the link drops.
    private func reply<Reply: SecAggBinaryMessage>(for stage: SecAggStage, wait: Int) async throws(StarlingHTTPError)
        -> Reply
    {
        let (client, path, giveUp) = (client, path(stage), giveUp)
        return try await Rejoin.retrying(until: giveUp) { () throws(StarlingHTTPError) in
            while true {
                do throws(StarlingHTTPError) {
                    let bytes = try await client.getBytes(
                        path + "&wait=\(wait)", accept: SecAggBinary.mediaType, timeout: .seconds(wait + 15))
                    return try Self.decode(Reply.self, of: stage, from: bytes)
                } catch .api(let status, let code, let message) where code == APIErrorCode.secaggPending.rawValue {
                    // The long poll ran out before the stage opened: ask again at once.
                    guard Date() < giveUp else { throw .api(status: status, code: code, message: message) }
                }
            }
        }
    }

    private static func decode<Reply: SecAggBinaryMessage>(
        _ type: Reply.Type, of stage: SecAggStage, from bytes: [UInt8]
    )
        throws(StarlingHTTPError) -> Reply
    {
        do {
            return try SecAggBinary.decode(type, from: bytes)
        } catch {
            throw .invalidResponse("the aggregator's \(stage.pathComponent) reply is malformed: \(error)")
        }
    }

    /// A stage's path, naming the attempt of the round the task belongs to.
    private func path(_ stage: SecAggStage) -> String {
        APIPath.deviceSecureAggregation(runId: task.runId, round: task.round, stage: stage.pathComponent)
            + "?attempt=\(task.attempt)"
    }
}
