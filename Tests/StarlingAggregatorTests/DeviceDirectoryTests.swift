import Foundation
import StarlingProtocol
import XCTest

@testable import StarlingAggregator

/// The in-memory directory of active devices: listed in enrollment order, heartbeats visible at
/// once and handed to the writer exactly once.
final class DeviceDirectoryTests: XCTestCase {
    private let t0 = Date(timeIntervalSinceReferenceDate: 800_000_000)

    private func device(_ id: String, at offset: TimeInterval) -> Device {
        Device(id: id, tags: [Tag(key: "n", value: id)], enrolledAt: t0.addingTimeInterval(offset))
    }

    func test_listsDevicesByEnrollmentTimeThenId_whateverOrderTheyCameIn() {
        let directory = DeviceDirectory([device("c", at: 2), device("a", at: 0), device("b", at: 2)])
        directory.add(device("d", at: 3))
        directory.add(device("early", at: 1))  // a clock stepped back
        directory.add(device("a", at: 9))  // already known: ignored
        XCTAssertEqual(directory.all().map(\.id), ["a", "early", "b", "c", "d"])
        XCTAssertEqual(directory.device(id: "a")?.enrolledAt, t0)
        XCTAssertNil(directory.device(id: "unknown"))
    }

    func test_heartbeats_changeTheDeviceAtOnce_andAreHandedOverOnce() {
        let directory = DeviceDirectory([device("a", at: 0), device("b", at: 1)])
        XCTAssertTrue(directory.heartbeat(id: "a", at: t0, sampleCount: 10, runningModel: "m@1"))
        XCTAssertTrue(directory.heartbeat(id: "a", at: t0.addingTimeInterval(5), sampleCount: -3, runningModel: "m@2"))
        XCTAssertFalse(directory.heartbeat(id: "unknown", at: t0, sampleCount: 1, runningModel: nil))
        XCTAssertEqual(directory.device(id: "a")?.lastSeen, t0.addingTimeInterval(5))
        XCTAssertEqual(directory.device(id: "a")?.sampleCount, 0, "a negative count is stored as none")
        XCTAssertEqual(directory.device(id: "a")?.runningModel, "m@2")

        let unsaved = directory.takeUnsaved()
        XCTAssertEqual(unsaved.map(\.id), ["a"])
        XCTAssertEqual(directory.takeUnsaved(), [])
        directory.restoreUnsaved(unsaved)
        XCTAssertEqual(directory.takeUnsaved().map(\.id), ["a"], "a batch that failed to store is handed over again")
    }
}
