import Hummingbird
import SecureAggregation
import StarlingProtocol

/// The device side of secure aggregation over HTTP: each stage's message is `POST`ed to
/// `…/secagg/<stage>` and the aggregator's reply for a stage is `GET` from the same path, held
/// until the stage opens. Stages in the path are `keys`, `shares`, `masked-input`, `unmasking`;
/// masked inputs travel as raw little-endian 32-bit words (with `?excluded=3,7` naming the
/// neighbours whose envelopes did not open), everything else as JSON or, when the device asks for
/// it (`Content-Type` and `Accept` of ``SecAggBinary/mediaType``), in SecAgg+'s compact binary
/// form. Every request names the
/// attempt of the round its task gave (`?attempt=2`; 1 when left out): after a restart a secure round
/// is done again as a new attempt, and anything for an earlier one is 409 `stage_restarted`. A
/// `GET` may name how long it can be held (`?wait=50`). A `POST` may ask for the following stage's
/// reply in the same exchange (`?next=240`, every stage but `unmasking`): once its message is taken,
/// the answer is held until that reply is ready and is it (200, as the `GET` would give it), or,
/// when it is not ready in time or cannot be given (the `GET` then says why), the receipt (202), and
/// the device asks with `GET`. That saves a fleet's devices requests every round.
enum SecureAggregationRoutes {
    /// How long a `GET` waits for its stage before answering 409 `secagg_pending`, unless it asks
    /// for another wait (`?wait=50`, in seconds, at most ``longestReplyWait``: as long as a watch).
    static let replyWait: Duration = .seconds(20)
    static let longestReplyWait = Int(DesiredStates.maximumWait)

    /// Takes one stage message; masked inputs count as uploads in the metrics.
    static func receive(
        _ request: Request, _ context: AggregatorRequestContext, runs: RunCoordinator, held: HeldRequests,
        metrics: AggregatorMetrics
    ) async throws -> Response {
        let device = try context.requireDevice().id
        let (roundID, round, stage) = try location(context)
        let attempt = try attempt(request)
        let following = try following(stage, request)
        switch stage {
        case .advertiseKeys:
            let message = SecAggClientMessage.advertisedKeys(try await body(AdvertisedKeys.self, of: request))
            try await runs.receiveSecure(
                runId: roundID, round: round, attempt: attempt, device: device, message: message)
        case .shareKeys:
            let message = SecAggClientMessage.sharedKeys(try await body(SharedKeys.self, of: request))
            try await runs.receiveSecure(
                runId: roundID, round: round, attempt: attempt, device: device, message: message)
        case .maskedInput:
            try await metrics.counting(.maskedInput) {
                let length = try await runs.maskedInputLength(
                    runId: roundID, round: round, attempt: attempt, device: device)
                let vector = try await MaskedInputBody.words(of: request, expected: length)
                try await runs.receiveMaskedInput(
                    runId: roundID, round: round, attempt: attempt, device: device, vector: vector,
                    excluded: try excluded(request))
            }
        case .unmasking:
            let message = SecAggClientMessage.revealedShares(try await body(RevealedShares.self, of: request))
            try await runs.receiveSecure(
                runId: roundID, round: round, attempt: attempt, device: device, message: message)
        }
        guard let (next, wait) = following else { return try receipt(stage, status: .ok) }
        do {
            let reply = try await held.holding(device) { hold throws(APIError) in
                try await runs.awaitSecureReply(
                    runId: roundID, round: round, attempt: attempt, device: device, stage: next, timeout: wait,
                    hold: hold)
            }
            return try response(reply, to: request)
        } catch {
            // Not ready in time, or not for this device: the message is taken all the same, and the
            // `GET` of the following stage answers as it would have.
            return try receipt(stage, status: .accepted)
        }
    }

    /// The receipt of a stage's message, encoded once per stage.
    private static func receipt(_ stage: SecAggStage, status: HTTPResponse.Status) throws -> Response {
        guard let receipt = receipts[stage] else {
            return try JSONResponse.make(
                SecureAggregationReceipt(stage: stage.pathComponent, accepted: true), status: status)
        }
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: receipt))
    }

    /// Each stage's receipt, encoded once: every device of a round sends four messages.
    private static let receipts: [SecAggStage: ByteBuffer] = Dictionary(
        uniqueKeysWithValues: SecAggStage.allCases.compactMap { stage in
            let receipt = SecureAggregationReceipt(stage: stage.pathComponent, accepted: true)
            return (try? StarlingJSON.encoder().encode(receipt)).map { (stage, ByteBuffer(bytes: $0)) }
        })

    static func reply(
        _ request: Request, _ context: AggregatorRequestContext, runs: RunCoordinator, held: HeldRequests
    ) async throws -> Response {
        let device = try context.requireDevice().id
        let (roundID, round, stage) = try location(context)
        let attempt = try attempt(request)
        let timeout = try wait(request, named: "wait") ?? replyWait
        let reply = try await held.holding(device) { hold throws(APIError) in
            try await runs.awaitSecureReply(
                runId: roundID, round: round, attempt: attempt, device: device, stage: stage, timeout: timeout,
                hold: hold)
        }
        return try response(reply, to: request)
    }

    /// A stage's reply, in the binary form when the request's `Accept` names it and as JSON otherwise.
    private static func response(_ reply: SecureReply, to request: Request) throws -> Response {
        let binary = request.headers[.accept]?.contains(SecAggBinary.mediaType) == true
        switch reply {
        case .neighbourKeys(let keys): return binary ? Self.binary(keys) : try JSONResponse.make(keys)
        case .relayedShares(let shares): return binary ? Self.binary(shares) : try JSONResponse.make(shares)
        case .unmasking(let unmasking): return binary ? Self.binary(unmasking) : try JSONResponse.make(unmasking)
        }
    }

    /// A stage message's body, in the binary form when its `Content-Type` says so and as JSON
    /// otherwise; either way a malformed one is 400.
    private static func body<Message: SecAggBinaryMessage & Decodable>(
        _ type: Message.Type, of request: Request
    ) async throws -> Message {
        guard request.headers[.contentType]?.hasPrefix(SecAggBinary.mediaType) == true else {
            return try await RequestBody.json(type, from: request)
        }
        let body = try await RequestBody.buffer(of: request, limit: BodyLimit.json)
        do {
            return try body.withUnsafeReadableBytes { raw in
                Result { () throws(SecAggError) in try SecAggBinary.decode(type, from: raw) }
            }.get()
        } catch {
            throw APIError.badRequest(.secaggInvalidMessage, error.description)
        }
    }

    private static func binary<Message: SecAggBinaryMessage>(_ message: Message) -> Response {
        Response(
            status: .ok, headers: [.contentType: SecAggBinary.mediaType],
            body: .init(byteBuffer: ByteBuffer(bytes: SecAggBinary.encode(message))))
    }

    /// The attempt of the round a request names: 1 when left out, at most 1,000,000.
    private static func attempt(_ request: Request) throws(APIError) -> Int {
        guard let text = request.uri.queryParameters.get("attempt") else { return 1 }
        guard let attempt = Int(text), (1...1_000_000).contains(attempt) else {
            throw .badRequest(.secaggInvalidMessage, "attempt must be a whole number from 1 to 1000000")
        }
        return attempt
    }

    /// How long the device asks a reply to be held, in the query parameter `name`: 0…``longestReplyWait``
    /// seconds, nil when left out.
    private static func wait(_ request: Request, named name: String) throws(APIError) -> Duration? {
        guard let text = request.uri.queryParameters.get(name) else { return nil }
        guard let seconds = Int(text), (0...longestReplyWait).contains(seconds) else {
            throw .badRequest(
                .secaggInvalidMessage, "\(name) must be a whole number of seconds from 0 to \(longestReplyWait)")
        }
        return .seconds(seconds)
    }

    /// The stage after `stage` and how long a `POST` asks its answer to wait for that stage's reply
    /// (`next`); nil when it does not ask. Checked before the message is read, so a request that
    /// asks wrongly changes nothing.
    private static func following(_ stage: SecAggStage, _ request: Request) throws(APIError)
        -> (SecAggStage, Duration)?
    {
        guard let wait = try wait(request, named: "next") else { return nil }
        guard let position = SecAggStage.allCases.firstIndex(of: stage),
            SecAggStage.allCases.indices.contains(position + 1)
        else {
            throw .badRequest(.secaggInvalidMessage, "next cannot be asked of the last stage, which has no reply")
        }
        return (SecAggStage.allCases[position + 1], wait)
    }

    /// The clients a masked input's `excluded` query parameter names: at most 4,096 indices.
    private static func excluded(_ request: Request) throws(APIError) -> [Int] {
        guard let text = request.uri.queryParameters.get("excluded"), !text.isEmpty else { return [] }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        let indices = parts.compactMap { Int($0) }
        guard parts.count <= 4_096, indices.count == parts.count else {
            throw .badRequest(.secaggInvalidMessage, "excluded must be a comma-separated list of client indices")
        }
        return indices
    }

    private static func location(_ context: AggregatorRequestContext) throws -> (String, Int, SecAggStage) {
        let component = try context.parameters.require("stage")
        guard let stage = SecAggStage(pathComponent: component) else {
            throw APIError.notFound(.unknownStage, "'\(component)' is not a secure-aggregation stage")
        }
        return (try context.parameters.require("id"), try context.parameters.require("n", as: Int.self), stage)
    }
}
