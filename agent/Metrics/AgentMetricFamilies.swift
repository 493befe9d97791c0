import StarlingMetrics

/// Every metric family an agent exports on its local API, with its help text and buckets;
/// `docs/metrics.md` describes each. Labels take values from fixed sets only.
enum AgentMetricFamilies {
    static let predictions = MetricFamily(
        "starling_agent_predictions_total", .counter, help: "Predictions answered by the local API.")
    static let escalations = MetricFamily(
        "starling_agent_escalations_total", .counter,
        help: "Predictions whose phase-one confidence was below the model's threshold, sent to phase two.")
    static let degradedAnswers = MetricFamily(
        "starling_agent_degraded_answers_total", .counter,
        help: "Escalated predictions answered by phase one, flagged degraded, because phase two failed or was late.")
    static let phaseOneDuration = MetricFamily(
        "starling_agent_phase_one_duration_seconds",
        .histogram(seconds: [
            0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
        ]),
        help: "Time the int8 model took to answer a prediction request (a batch counts once).")
    static let phaseTwoDuration = MetricFamily(
        "starling_agent_phase_two_duration_seconds",
        .histogram(seconds: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]),
        help: "Time a phase-two request to the aggregator took, by outcome (answered, failed, timed_out).")
    static let trainingDuration = MetricFamily(
        "starling_agent_training_duration_seconds",
        .histogram(seconds: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600]),
        help: "Time local training took for a round task, on the device's training samples.")
    static let installs = MetricFamily(
        "starling_agent_installs_total", .counter,
        help: "Deployments carried out, by outcome (installed, rolled_back, failed).")
    static let privacySpent = MetricFamily(
        "starling_agent_privacy_epsilon_spent", .gauge,
        help: "Privacy budget the device's recorded private training has spent, as epsilon at the budget's delta.")
    static let privacyBudget = MetricFamily(
        "starling_agent_privacy_epsilon_budget", .gauge,
        help: "The device's lifetime privacy budget as epsilon; absent when unlimited.")
    static let modelVersion = MetricFamily(
        "starling_agent_model_version", .gauge,
        help: "Version of the model serving predictions; 0 before the first install.")

    static let all: [MetricFamily] = [
        predictions, escalations, degradedAnswers, phaseOneDuration, phaseTwoDuration, trainingDuration, installs,
        privacySpent, privacyBudget, modelVersion,
    ]
}
