import StarlingProtocol
import XCTest

@testable import StarlingAggregator

/// A device's wire report becomes what the health gate judges: the replaced version is compared
/// only when it is a version of the same model, and an install failure is a failure.
final class HealthReportMappingTests: XCTestCase {
    private let policy = RolloutPolicy(
        strategy: .all, bakeSeconds: 0, maxFailureRate: 0.05, offlineAfterSeconds: 300,
        health: .init(maxAccuracyDrop: 0.05, maxErrorRate: 0.05, maxEscalationIncrease: 0.2, maxLatencyRatio: 5))

    private func report(installed: SmokeTest, replaced: SmokeTest?) -> DeploymentReport {
        DeploymentReport(
            state: .installed, model: installed.model, version: installed.version,
            health: InstallHealth(installed: installed, replaced: replaced))
    }

    func testAVersionOfTheSameModelIsHeldToTheOneItReplaced() {
        let slow = SmokeTest(
            model: "m", version: 2, samples: 40, accuracy: 0.5, latencyMs: 9, errorRate: 0, escalationRate: 0.1)
        let old = SmokeTest(
            model: "m", version: 1, samples: 40, accuracy: 0.9, latencyMs: 1, errorRate: 0, escalationRate: 0.1)
        guard case .unhealthy(let reason) = policy.judge(DeviceHealthReport(report(installed: slow, replaced: old)))
        else {
            return XCTFail("a 40-point accuracy drop must fail")
        }
        XCTAssertTrue(reason.contains("accuracy"), reason)
    }

    func testAnotherModelIsJudgedOnlyOnAbsoluteLimits() {
        let big = SmokeTest(
            model: "big", version: 1, samples: 40, accuracy: 0.5, latencyMs: 400, errorRate: 0, escalationRate: 0.1)
        let small = SmokeTest(
            model: "small", version: 1, samples: 40, accuracy: 0.9, latencyMs: 1, errorRate: 0, escalationRate: 0.1)
        XCTAssertEqual(policy.judge(DeviceHealthReport(report(installed: big, replaced: small))), .healthy)
        let erring = SmokeTest(
            model: "big", version: 1, samples: 40, accuracy: 0.5, latencyMs: 4, errorRate: 0.5, escalationRate: 0.1)
        XCTAssertNotEqual(policy.judge(DeviceHealthReport(report(installed: erring, replaced: small))), .healthy)
    }

    func testAFailedInstallIsAFailureWithTheDevicesReason() {
        let failed = DeploymentReport(state: .failed, model: "m", version: 2, message: "The model is not trusted.")
        XCTAssertEqual(
            policy.judge(DeviceHealthReport(failed)),
            .unhealthy(reason: "the installation failed: The model is not trusted."))
    }
}
