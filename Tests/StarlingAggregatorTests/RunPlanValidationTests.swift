import Foundation
import StarlingCore
import StarlingProtocol
import XCTest

@testable import StarlingAggregator

/// What a run request may ask for: the optimisation fields of a training run, and the cohorts of
/// evaluation and statistics runs, are checked with a sentence naming the field; what is left out
/// takes ``RoundDefaults``.
final class RoundPlanValidationTests: XCTestCase {
    private func training(
        rounds: Int = 4, secure: Bool = false, privacy: PrivacyRequest? = nil, schedule: LearningRateSchedule? = nil,
        clip: Double? = nil, decay: Double? = nil, mu: Double? = nil, optimizer: ServerOptimizerConfiguration? = nil,
        aggregation: AggregationRule? = nil, evaluateEvery: Int? = nil
    ) -> StartRunRequest {
        StartRunRequest(
            model: "m", clients: 5, minClients: 3, rounds: rounds, secureAggregation: secure, privacy: privacy,
            learningRateSchedule: schedule, gradientClipNorm: clip, weightDecay: decay, proximalMu: mu,
            serverOptimizer: optimizer, aggregation: aggregation, evaluateEvery: evaluateEvery)
    }

    private func plan(_ request: StartRunRequest) throws(APIError) -> RunPlan {
        try RunPlan(validating: request, defaultDeadline: 120, seed: 1)
    }

    private func assertRefused(
        _ request: StartRunRequest, code: String = "invalid_run", mentioning words: String, line: UInt = #line
    ) {
        do {
            let accepted = try plan(request)
            XCTFail("accepted: \(accepted)", line: line)
        } catch {
            XCTAssertEqual(error.status, .badRequest, line: line)
            XCTAssertEqual(error.code.rawValue, code, line: line)
            XCTAssertTrue(error.message.contains(words), "\(error.message)", line: line)
        }
    }

    func test_aTrainingRequestWithoutTuning_takesTheRoundDefaults() throws {
        let plan = try plan(training())
        XCTAssertEqual(plan.kind, .train)
        XCTAssertEqual(plan.learningRate, RoundDefaults.learningRate)
        XCTAssertEqual(plan.localEpochs, RoundDefaults.localEpochs)
        XCTAssertEqual(plan.learningRateSchedule, RoundDefaults.learningRateSchedule)
        XCTAssertEqual(
            plan.training,
            LocalTrainingSettings(
                gradientClipNorm: RoundDefaults.gradientClipNorm, weightDecay: RoundDefaults.weightDecay,
                proximalMu: RoundDefaults.proximalMu))
        XCTAssertEqual(plan.serverOptimizer, RoundDefaults.serverOptimizer)
        XCTAssertEqual(plan.aggregation, .mean)
        XCTAssertNil(plan.evaluateEvery)
    }

    func test_optimisationFields_areKeptAsAsked() throws {
        let adam = ServerOptimizerConfiguration.defaults(for: .fedadam)
        let plan = try plan(
            training(
                schedule: .cosine(warmupRounds: 1, floor: 0.1), clip: 2, decay: 1e-4, mu: 0.01, optimizer: adam,
                aggregation: .trimmedMean(trim: 0.2), evaluateEvery: 2))
        XCTAssertEqual(plan.learningRateSchedule, .cosine(warmupRounds: 1, floor: 0.1))
        XCTAssertEqual(plan.training, LocalTrainingSettings(gradientClipNorm: 2, weightDecay: 1e-4, proximalMu: 0.01))
        XCTAssertEqual(plan.serverOptimizer, adam)
        XCTAssertEqual(plan.aggregation, .trimmedMean(trim: 0.2))
        XCTAssertEqual(plan.evaluateEvery, 2)
        XCTAssertEqual(plan.learningRate(round: 1), RoundDefaults.learningRate / 1, accuracy: 1e-12)
        XCTAssertEqual(plan.learningRate(round: 4), RoundDefaults.learningRate * 0.1, accuracy: 1e-12)
    }

    func test_aGradientClipNormOfZero_turnsClippingOff() throws {
        XCTAssertNil(try plan(training(clip: 0)).training.gradientClipNorm)
    }

    func test_badSchedules_areRefusedNamingTheField() {
        assertRefused(
            training(rounds: 3, schedule: .cosine(warmupRounds: 3, floor: 0.1)), mentioning: "learning_rate_schedule")
        assertRefused(training(schedule: .cosine(warmupRounds: 0, floor: 1.5)), mentioning: "learning_rate_schedule")
        assertRefused(training(schedule: .step(every: 0, factor: 0.5)), mentioning: "learning_rate_schedule")
        assertRefused(training(schedule: .step(every: 2, factor: 0)), mentioning: "learning_rate_schedule")
    }

    func test_badServerOptimizers_areRefusedNamingTheField() {
        var adam = ServerOptimizerConfiguration.defaults(for: .fedadam)
        adam.learningRate = 0
        assertRefused(training(optimizer: adam), mentioning: "server_optimizer")
        adam = .defaults(for: .fedadam)
        adam.beta1 = 1
        assertRefused(training(optimizer: adam), mentioning: "server_optimizer")
        adam = .defaults(for: .fedyogi)
        adam.tau = .nan
        assertRefused(training(optimizer: adam), mentioning: "server_optimizer")
    }

    func test_badSafeguards_areRefusedNamingTheField() {
        assertRefused(training(clip: -1), mentioning: "gradient_clip_norm")
        assertRefused(training(clip: .infinity), mentioning: "gradient_clip_norm")
        assertRefused(training(decay: 1), mentioning: "weight_decay")
        assertRefused(training(mu: -0.1), mentioning: "proximal_mu")
        assertRefused(training(evaluateEvery: 0), mentioning: "evaluate_every")
    }

    func test_secureGroupSizes_needSyncSecureAggregation_andAtLeastThreeDevices() throws {
        func grouped(_ size: Int, secure: Bool = true, mode: RunMode? = nil) -> StartRunRequest {
            var request = training(secure: secure)
            request.secureAggregationGroupSize = size
            request.mode = mode
            request.buffer = mode == .async ? 5 : nil
            return request
        }
        XCTAssertEqual(try plan(grouped(3)).secureAggregation?.groupSize, 3)
        assertRefused(grouped(2), mentioning: "secure_aggregation_group_size must be 3…10000")
        assertRefused(grouped(10_001), mentioning: "secure_aggregation_group_size must be 3…10000")
        assertRefused(grouped(3, secure: false), mentioning: "secure_aggregation_group_size needs secure aggregation")
        assertRefused(grouped(3, mode: .async), mentioning: "each buffer is a group")
    }

    func test_secureStageSeconds_defaultToAQuarterOfTheDeadline_andAreBounded() throws {
        func staged(_ seconds: Double?, secure: Bool = true) -> StartRunRequest {
            var request = training(secure: secure)
            request.secureAggregationStageSeconds = seconds
            return request
        }
        XCTAssertEqual(try plan(staged(nil)).secureAggregation?.stageSeconds, 30, "a quarter of 120 s, at most 30")
        XCTAssertEqual(try plan(staged(2.5)).secureAggregation?.stageSeconds, 2.5)
        assertRefused(staged(0.5), mentioning: "secure_aggregation_stage_seconds must be in [1, 600]")
        assertRefused(staged(.nan), mentioning: "secure_aggregation_stage_seconds must be in [1, 600]")
        assertRefused(staged(2, secure: false), mentioning: "secure_aggregation_stage_seconds needs secure aggregation")
    }

    func test_robustRules_needPlainUpdatesWithoutUserLevelNoise_andATrimBelowHalf() {
        assertRefused(training(aggregation: .trimmedMean(trim: 0.5)), mentioning: "aggregation")
        assertRefused(training(aggregation: .trimmedMean(trim: -0.1)), mentioning: "aggregation")
        assertRefused(
            training(secure: true, aggregation: .median), code: "aggregation_needs_plain_updates",
            mentioning: "secure aggregation")
        assertRefused(
            training(privacy: PrivacyRequest(mode: .central, epsilon: 4, delta: 1e-5), aggregation: .median),
            code: "aggregation_needs_plain_updates", mentioning: "privacy")
        XCTAssertNoThrow(try plan(training(secure: true, aggregation: .mean)))
    }

    func test_evaluationCohorts_defaultToThreeDevicesUnderSecureAggregation_andOneWithout() throws {
        let secure = try RunPlan(
            validating: EvaluateRequest(model: "m"), version: 2, defaultDeadline: 90, seed: 1)
        XCTAssertEqual(secure.kind, .evaluate)
        XCTAssertEqual(secure.baseVersion, 2)
        XCTAssertEqual(secure.minClients, 3)
        XCTAssertEqual(secure.rounds, 1)
        XCTAssertEqual(secure.deadlineSeconds, 90)
        XCTAssertNotNil(secure.secureAggregation)
        let plain = try RunPlan(
            validating: EvaluateRequest(model: "m", secureAggregation: false), version: 2, defaultDeadline: 90, seed: 1)
        XCTAssertEqual(plain.minClients, 1)
        XCTAssertNil(plain.secureAggregation)
        XCTAssertThrowsError(
            try RunPlan(
                validating: EvaluateRequest(model: "m", clients: 2, minClients: 3), version: 1, defaultDeadline: 90,
                seed: 1))
    }

    func test_statisticsCohorts_neverGoBelowTheFloor() throws {
        func statistics(_ request: CollectStatisticsRequest, width: Int = 8) throws(APIError) -> RunPlan {
            try RunPlan(validating: request, width: width, model: "", minimumDevices: 5, defaultDeadline: 60, seed: 1)
        }
        let plan = try statistics(CollectStatisticsRequest(name: "p", width: 8))
        XCTAssertEqual(plan.kind, .statistics)
        XCTAssertEqual(plan.minClients, 5)
        XCTAssertEqual(plan.statistics, StatisticsPlan(name: "p", width: 8, grid: .standard))
        do {
            _ = try statistics(CollectStatisticsRequest(name: "p", width: 8, minDevices: 4))
            XCTFail("a cohort below the floor was accepted")
        } catch {
            XCTAssertEqual(error.code, .cohortTooSmall)
            XCTAssertEqual(error.status, .badRequest)
            XCTAssertTrue(error.message.contains("at least 5 devices"), error.message)
        }
        XCTAssertThrowsError(try statistics(CollectStatisticsRequest(name: "p", width: 0), width: 0))
        XCTAssertThrowsError(try statistics(CollectStatisticsRequest(name: "p", width: 8, clients: 5000)))
    }

    func test_aPlanStoredBeforeRunKinds_decodesAsATrainingPlanWithTheSettingsOfThen() throws {
        let stored = """
            {"model":"m","clients":2,"minClients":1,"localEpochs":1,"learningRate":0.1,"momentum":0.9,"batchSize":32,
             "rounds":3,"deadlineSeconds":60,"selector":"all","seed":4}
            """
        let plan = try JSONDecoder().decode(RunPlan.self, from: Data(stored.utf8))
        XCTAssertEqual(plan.kind, .train)
        XCTAssertEqual(plan.training, RunPlan.legacyTraining)
        XCTAssertEqual(plan.serverOptimizer, .defaults(for: .fedavg))
        XCTAssertEqual(plan.aggregation, .mean)
        XCTAssertEqual(plan.learningRateSchedule, .constant)
        XCTAssertNil(plan.evaluateEvery)
    }
}
