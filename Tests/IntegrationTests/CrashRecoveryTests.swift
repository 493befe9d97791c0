import Foundation
import StarlingProtocol
import XCTest

/// Nothing the aggregator accepted is lost when it is killed.
final class CrashRecoveryTests: XCTestCase {
    func test_aggregatorKilledWithSIGKILL_keepsEveryVersionAndDeviceOnRestart() async throws {
        let first = try await AggregatorHarness.start(for: self)
        _ = try await first.admin.createModel(CreateModelRequest(name: "kept", architecture: "64-10", seed: 5))
        let device = try await first.enrollDevice(tags: [Tag(key: "zone", value: "lab")])
        let versionsBefore = try await first.admin.versions(model: "kept")

        let restarted = try await first.crashAndRestart(for: self)

        let versionsAfter = try await restarted.admin.versions(model: "kept")
        XCTAssertEqual(versionsAfter, versionsBefore)
        let devices = try await restarted.admin.devices()
        XCTAssertEqual(devices.map(\.id), [device.id])
        XCTAssertEqual(devices.first?.tags, [Tag(key: "zone", value: "lab")])
        let weights = try await restarted.admin.weights(model: "kept", version: 1)
        XCTAssertFalse(weights.isEmpty)
    }
}
