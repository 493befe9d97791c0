import StarlingMetrics

/// Every metric family the aggregator exports, with its help text and buckets; `docs/metrics.md`
/// describes each. Labels take values from fixed sets only (kinds, outcomes, stages, API error
/// codes, route templates), never device ids, run ids or anything else a request supplies.
enum AggregatorMetricFamilies {
    static let runs = MetricFamily(
        "starling_runs_total", .counter,
        help: "Runs that ended, by kind (train, evaluate, statistics) and outcome (completed, failed).")
    static let rounds = MetricFamily(
        "starling_rounds_total", .counter,
        help: "Rounds that ended, by the kind of their run and outcome (completed, failed).")
    static let updatesAccepted = MetricFamily(
        "starling_updates_accepted_total", .counter,
        help: "Contributions devices uploaded to rounds and the aggregator accepted, by upload "
            + "(update, evaluation, statistics, masked_input).")
    static let updatesRejected = MetricFamily(
        "starling_updates_rejected_total", .counter,
        help: "Contributions the aggregator refused, by upload and API error code.")
    static let secureStageDuration = MetricFamily(
        "starling_secagg_stage_duration_seconds",
        .histogram(seconds: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600]),
        help: "Time from a SecAgg+ stage opening to its closing, by stage (advertise_keys, share_keys, "
            + "masked_input, unmasking); advertise_keys includes the devices' training.")
    static let secureDropouts = MetricFamily(
        "starling_secagg_dropouts_total", .counter,
        help: "Devices a SecAgg+ stage expected that had not answered when it closed, by stage.")
    static let devicesEnrolled = MetricFamily(
        "starling_devices_enrolled", .gauge, help: "Enrolled devices that are not revoked.")
    static let devicesOnline = MetricFamily(
        "starling_devices_online", .gauge,
        help: "Enrolled devices holding a watch open or whose last watch was answered within 40 seconds.")
    static let rollouts = MetricFamily(
        "starling_rollouts", .gauge,
        help: "Deployments by the phase of their rollout (running, paused, halted, completed, aborted, "
            + "rolled_back, superseded).")
    static let rolloutDevices = MetricFamily(
        "starling_rollout_devices", .gauge,
        help: "Target devices of running and paused rollouts, by state (waiting, pending, installed, failed, "
            + "rolled_back).")
    static let registryModels = MetricFamily(
        "starling_registry_models", .gauge, help: "Models in the registry.")
    static let registryVersions = MetricFamily(
        "starling_registry_versions", .gauge, help: "Model versions in the registry, every model's together.")
    static let httpRequestDuration = MetricFamily(
        "starling_http_request_duration_seconds",
        .histogram(seconds: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]),
        help: "Time to answer HTTP requests, by listener (public, device, metrics), route template "
            + "(unmatched for none), method and status.")
    static let refineDuration = MetricFamily(
        "starling_refine_duration_seconds",
        .histogram(seconds: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]),
        help: "Time phase two took to answer a refinement request (one prediction or a batch).")
    static let refinePredictions = MetricFamily(
        "starling_refine_predictions_total", .counter, help: "Predictions phase two answered.")

    static let all: [MetricFamily] = [
        runs, rounds, updatesAccepted, updatesRejected, secureStageDuration, secureDropouts, devicesEnrolled,
        devicesOnline, rollouts, rolloutDevices, registryModels, registryVersions, httpRequestDuration,
        refineDuration, refinePredictions,
    ]
}
