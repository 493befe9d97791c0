#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import Privacy
import SecureAggregation
import StarlingCore
import StarlingProtocol
import StarlingTransport

/// A device's part in one secure aggregation: it encodes its weighted update as one vector and
/// walks the four SecAgg+ stages with the aggregator, which only ever sees the vector masked.
/// Each reply is long-polled; the walk gives up when the protocol's time is clearly over.
struct SecureContribution {
    let client: StarlingHTTPClient
    let task: RoundTask
    let secure: SecureAggregationTask

    func submit(_ update: ModelUpdate) async throws(AgentError) {
        var protocolClient: SecAggClient
        let parameters: SecAggParameters
        do {
            parameters = try SecAggParameters(
                roundId: secure.sessionId, clientCount: secure.clientCount, threshold: secure.threshold,
                vectorLength: secure.vectorLength, clippingRange: secure.clippingRange, graphSeed: secure.graphSeed,
                neighbourCount: secure.neighbourCount)
            protocolClient = try SecAggClient(parameters: parameters, index: secure.client)
        } catch {
            throw .secureAggregation(error.description)
        }
        let input = try encode(update, parameters: parameters)
        do {
            try await send(.advertiseKeys, json: try protocolClient.advertiseKeys())
            let keys: NeighbourKeys = try await reply(for: .shareKeys)
            try await send(.shareKeys, json: try protocolClient.shareKeys(keys))
            let relayed: RelayedShares = try await reply(for: .maskedInput)
            let masked = try protocolClient.maskInput(relayed, input: input)
            let _: SecureAggregationReceipt = try await client.post(path(.maskedInput), bytes: masked.wireBytes)
            let unmasking: UnmaskingRequest = try await reply(for: .unmasking)
            try await send(.unmasking, json: try protocolClient.unmask(unmasking))
        } catch let error as SecAggError {
            throw .secureAggregation(error.description)
        } catch let error as StarlingHTTPError {
            throw .aggregator(error.description)
        } catch {
            throw .secureAggregation("\(error)")
        }
    }

    /// The update as the aggregated vector: a·delta, then a, a·loss/16, e, e·accuracy, with a and
    /// e the train and eval sample counts over the weight cap (see ``SecureAggregationTask``); under
    /// user-level privacy the clipped delta alone in signed fixed point, plus the device's discrete
    /// Gaussian noise in distributed mode.
    private func encode(_ update: ModelUpdate, parameters: SecAggParameters) throws(AgentError) -> [UInt32] {
        let values: [Float]
        if secure.encodingScale == nil {
            let cap = Double(secure.weightCap)
            let trainWeight = min(Double(update.trainSamples), cap) / cap
            let evalWeight = min(Double(update.evalSamples), cap) / cap
            let loss = min(max(update.trainLoss, 0), SecureAggregationTask.lossScale) / SecureAggregationTask.lossScale
            values = update.delta.parameters.map { Float(trainWeight * Double($0)) }
                + [trainWeight, trainWeight * loss, evalWeight, evalWeight * update.evalAccuracy].map { Float($0) }
        } else {
            values = update.delta.parameters
        }
        guard values.count == parameters.vectorLength else {
            throw .secureAggregation(
                "the update has \(values.count) values, the aggregation expects \(parameters.vectorLength)")
        }
        guard let scale = secure.encodingScale else {
            var rng = SeededRNG(seed: task.seed)
            return FixedPointCodec(parameters).encode(values, using: &rng)
        }
        var random = SecureRandom()
        var integers = SignedFixedPoint(scale: scale).round(values, using: &random)
        if let deviation = task.privacy?.deviceNoiseStandardDeviation {
            DiscreteGaussianNoise.add(standardDeviation: deviation, to: &integers, using: &random)
        }
        return SignedFixedPoint.wrap(integers)
    }

    private func send<Body: Encodable & Sendable>(_ stage: SecAggStage, json body: Body) async throws {
        let _: SecureAggregationReceipt = try await client.post(path(stage), json: body)
    }

    /// Long-polls the aggregator's reply for `stage` until it is ready or the protocol's time is over.
    private func reply<Reply: Decodable & Sendable>(for stage: SecAggStage) async throws(StarlingHTTPError) -> Reply {
        let giveUp = task.deadline.addingTimeInterval(secure.stageSeconds * 4)
        while true {
            do {
                return try await client.get(path(stage), timeout: .seconds(30))
            } catch {
                guard case .api(_, let code, _) = error, code == "secagg_pending", Date() < giveUp else { throw error }
            }
        }
    }

    private func path(_ stage: SecAggStage) -> String {
        APIPath.deviceSecureAggregation(roundId: task.roundId, iteration: task.iteration, stage: stage.pathComponent)
    }
}
