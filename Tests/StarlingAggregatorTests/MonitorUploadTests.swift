import Foundation
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

@testable import StarlingAggregator

/// Devices' monitor windows over mutual TLS: windows of a known version and its shape are kept (a
/// window sent again replaces the first) and add up over devices in the admin view; anything else
/// is refused whole with a code.
final class MonitorUploadTests: XCTestCase {
    func window(_ version: String = "watched@1", start: Double, requests: Int, correct: Int = 1) -> MonitorWindow {
        var window = MonitorWindow(version: version, start: start, seconds: 60, labels: ["0", "1"], bins: [])
        window.requests = requests
        window.latency[2] = requests
        window.confidence[9] = requests
        window.feedback = 2
        window.correct = correct
        window.confusion = [correct, 2 - correct, 0, 0]
        return window
    }

    func test_windowsFromSeveralDevices_addUpPerVersion_andAWindowSentAgainReplacesTheFirst() async throws {
        let aggregator = try await TestAggregator.start(deadline: 60)
        let devices = try await aggregator.modelWithWatchingDevices("watched", count: 2)
        let start = (Date().timeIntervalSince1970 / 60).rounded(.down) * 60 - 120
        for (device, requests) in zip(devices, [5, 7]) {
            let receipt: MonitorUploadReceipt = try await device.client.post(
                APIPath.deviceMonitor,
                json: MonitorUpload(windows: [
                    window(start: start, requests: 1), window(start: start + 60, requests: requests),
                ]))
            XCTAssertEqual(receipt.accepted, 2)
        }
        let _: MonitorUploadReceipt = try await devices[0].client.post(
            APIPath.deviceMonitor, json: MonitorUpload(windows: [window(start: start, requests: 3, correct: 2)]))

        let report: FleetMonitorReport = try await aggregator.admin.get(
            APIPath.adminMonitor(model: "watched") + "?window=3600")
        let watched = try XCTUnwrap(report.versions.first)
        XCTAssertEqual(watched.version, 1)
        XCTAssertEqual(watched.devices, 2)
        XCTAssertEqual(watched.points.map(\.figures.requests), [4, 12], "3 (resent) + 1, then 5 + 7")
        XCTAssertEqual(watched.points.map(\.devices), [2, 2])
        XCTAssertEqual(watched.total.requests, 16)
        XCTAssertEqual(watched.total.feedback, 8)
        XCTAssertEqual(watched.total.accuracy, 5.0 / 8.0)
        XCTAssertEqual(watched.total.confusion.counts, [[5, 3], [0, 0]])
        for device in devices { await device.client.shutdown() }
        try await aggregator.stop()
    }

    func test_windowsOfAnUnknownVersionOrTheWrongShape_areRefusedWhole() async throws {
        let aggregator = try await TestAggregator.start(deadline: 60)
        let devices = try await aggregator.modelWithWatchingDevices("watched", count: 1)
        let device = try XCTUnwrap(devices.first)
        let now = Date().timeIntervalSince1970
        var wrongLabels = window(start: now - 60, requests: 1)
        wrongLabels.labels = ["a", "b"]
        var negative = window(start: now - 60, requests: 1)
        negative.errors = -1
        var tooRight = window(start: now - 60, requests: 1)
        tooRight.correct = 3
        var shapeless = window(start: now - 60, requests: 1)
        shapeless.latency = [1]
        let refusals: [(MonitorUpload, Int, String)] = [
            (MonitorUpload(windows: []), 400, "invalid_monitor"),
            (MonitorUpload(windows: [window("watched@9", start: now - 60, requests: 1)]), 404, "version_not_found"),
            (MonitorUpload(windows: [window("nobody", start: now - 60, requests: 1)]), 400, "invalid_monitor"),
            (MonitorUpload(windows: [window(start: now - 40 * 86_400, requests: 1)]), 400, "invalid_monitor"),
            (MonitorUpload(windows: [window(start: now - 60, requests: 1), wrongLabels]), 400, "invalid_monitor"),
            (MonitorUpload(windows: [negative]), 400, "invalid_monitor"),
            (MonitorUpload(windows: [tooRight]), 400, "invalid_monitor"),
            (MonitorUpload(windows: [shapeless]), 400, "invalid_monitor"),
        ]
        for (upload, status, code) in refusals {
            await assertAPIError(status: status, code: code) {
                try await device.client.post(APIPath.deviceMonitor, json: upload, as: MonitorUploadReceipt.self)
            }
        }
        let report: FleetMonitorReport = try await aggregator.admin.get(
            APIPath.adminMonitor(model: "watched") + "?window=3600")
        XCTAssertEqual(report.versions, [], "nothing of a refused upload was kept")
        await assertAPIError(status: 400, code: "invalid_request") {
            try await aggregator.admin.get(
                APIPath.adminMonitor(model: "watched") + "?window=5", as: FleetMonitorReport.self)
        }
        await device.client.shutdown()
        try await aggregator.stop()
    }
}
