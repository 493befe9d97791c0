import StarlingProtocol
import XCTest

/// Monitor windows as secure-aggregation words: the word-wise sum of devices' encodings decodes to
/// the windows added up, counts past 2^20 − 1 are cut (and counted), a sum that does not fit its
/// shape is refused, and a monitor task adds up only the served windows of its version that ended by
/// the end of its span.
final class MonitorWindowLayoutTests: XCTestCase {
    private func window(_ requests: Int, start: Double = 100, seconds: Double = 10, bins: [Int] = [3, 2])
        -> MonitorWindow
    {
        var window = MonitorWindow(version: "m@1", start: start, seconds: seconds, labels: ["a", "b"], bins: bins)
        window.requests = requests
        window.feedback = requests / 2
        window.correct = requests / 4
        window.confusion = [requests / 4, 0, requests / 2 - requests / 4, 0]
        window.latency[3] = requests
        window.confidence[9] = requests
        window.features = [[requests, 1, 0], [0, requests]]
        return window
    }

    func test_theSumOfEncodings_decodesToTheWindowsAddedUp() throws {
        let devices = [window(8), window(20), window(0)]
        var sum = [UInt32](repeating: 0, count: MonitorWindowLayout.vectorLength(labels: 2, bins: [3, 2]))
        for device in devices {
            let (words, clipped) = MonitorWindowLayout.encode(device)
            XCTAssertEqual(clipped, 0)
            XCTAssertEqual(words.count, sum.count)
            for index in sum.indices { sum[index] &+= words[index] }
        }
        let empty = MonitorWindow(version: "m@1", start: 100, seconds: 10, labels: ["a", "b"], bins: [3, 2])
        let (decoded, count) = try XCTUnwrap(MonitorWindowLayout.decodeSum(sum, into: empty))
        var expected = empty
        for device in devices { expected.add(device) }
        XCTAssertEqual(count, 3)
        XCTAssertEqual(decoded, expected)
        XCTAssertNil(MonitorWindowLayout.decodeSum(Array(sum.dropLast()), into: window(0)), "a sum of another shape")
    }

    func test_countsPastTheLimit_areCutAndCounted() {
        let (words, clipped) = MonitorWindowLayout.encode(window(5_000_000))
        XCTAssertGreaterThan(clipped, 0)
        XCTAssertTrue(words.allSatisfy { $0 <= UInt32(MonitorWindowLayout.maximumCount) })
    }

    func test_aMonitorTask_addsUpTheServedWindowsThatEndedByItsEnd() {
        let task = MonitorTask(version: "m@1", from: 100, to: 130, labels: ["a", "b"], bins: [3, 2])
        var shadow = window(7, start: 110)
        shadow.arm = ExperimentArm(experiment: "exp-1", shadow: true)
        var other = window(9, start: 110)
        other.version = "m@2"
        let windows = [
            window(1, start: 90), window(2, start: 100), window(3, start: 120), window(4, start: 125), shadow, other,
        ]
        XCTAssertEqual(
            task.sum(of: windows).requests, 1 + 2 + 3,
            "ended by 130 (an earlier one too, which a device away last time still has unsent); not 125–135")
        XCTAssertEqual(task.sum(of: []).requests, 0)
    }
}
