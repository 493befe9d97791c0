import StarlingProtocol

extension RolloutPolicy {
    /// The policy an operator's request asks for, defaults filled in: `all` and `pinned` one wave with
    /// no bake; `canary` waves of 5, 25 and 100 % baking ten minutes each; 5 % of devices may fail; a
    /// device's accuracy may fall 5 points below the version it replaced, its error rate reach 5 %, its
    /// phase-two escalation rate rise 20 points, its phase-one latency grow fivefold; a device silent
    /// five minutes after its assignment counts as offline. 400 `invalid_deployment` if invalid.
    init(_ request: CreateDeploymentRequest) throws(APIError) {
        let strategy = request.strategy ?? .all
        self.init(
            strategy: strategy, waves: request.waves ?? (strategy == .canary ? [5, 25, 100] : [100]),
            bakeSeconds: request.bakeSeconds ?? (strategy == .canary ? 600 : 0),
            maxFailureRate: request.maxFailureRate ?? 0.05, offlineAfterSeconds: 300,
            health: HealthThresholds(
                maxAccuracyDrop: request.maxAccuracyDrop ?? 0.05, maxErrorRate: 0.05, maxEscalationIncrease: 0.2,
                maxLatencyRatio: 5))
        do {
            try validate()
        } catch {
            throw .badRequest(.invalidDeployment, error.description)
        }
    }
}

extension DeviceHealthReport {
    /// What a device's report tells the health gate: its installation, and its smoke tests when it ran
    /// them. The new version is compared with the replaced one only when both are versions of the same
    /// model (another model may do another job at another speed), and an accuracy either side could not
    /// measure (no labelled sample) is not compared.
    init(_ report: DeploymentReport) {
        guard report.state != .failed else {
            self.init(installation: .failed(reason: report.message ?? "the device gave no reason"), smokeTest: nil)
            return
        }
        guard let health = report.health else {
            self.init(installation: .ok, smokeTest: nil)
            return
        }
        let installed = health.installed
        let comparable = installed.accuracy != nil && health.replaced?.accuracy != nil
        let accuracy = installed.accuracy ?? 0
        self.init(
            installation: .ok,
            smokeTest: SmokeTest(
                samples: installed.samples, accuracy: accuracy, phaseOneLatencyP50Ms: installed.latencyMs,
                errorRate: installed.errorRate, escalationRate: installed.escalationRate,
                replaced: health.replaced.flatMap { replaced in
                    guard replaced.model == installed.model else { return nil }
                    return ReplacedVersion(
                        accuracy: comparable ? replaced.accuracy ?? accuracy : accuracy,
                        phaseOneLatencyP50Ms: replaced.latencyMs, errorRate: replaced.errorRate,
                        escalationRate: replaced.escalationRate)
                }))
    }
}
