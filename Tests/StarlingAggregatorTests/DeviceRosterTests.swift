import Foundation
import XCTest

@testable import StarlingAggregator

/// A device roster (a cohort, the devices that answered) answers membership and position without
/// scanning, is stored as the plain list of its devices (as run machines written before it were),
/// and keeps each device's first position as devices are added.
final class DeviceListTests: XCTestCase {
    func test_membershipAndPosition_followTheOrderOfChoice() {
        var cohort = DeviceRoster(["dev-c", "dev-a", "dev-b"])
        XCTAssertTrue(cohort.contains("dev-a"))
        XCTAssertFalse(cohort.contains("dev-z"))
        XCTAssertEqual(cohort.firstIndex(of: "dev-b"), 2)
        cohort += ["dev-d", "dev-a"]
        cohort.append("dev-e")
        XCTAssertEqual(Array(cohort), ["dev-c", "dev-a", "dev-b", "dev-d", "dev-a", "dev-e"])
        XCTAssertEqual(cohort.firstIndex(of: "dev-e"), 5)
        XCTAssertEqual(cohort.firstIndex(of: "dev-d"), 3)
        XCTAssertEqual(cohort.firstIndex(of: "dev-a"), 1, "a device's first position stands")
        XCTAssertEqual(cohort.count, 6)
        XCTAssertEqual(cohort.map { $0.uppercased() }.first, "DEV-C")
    }

    func test_storedAsThePlainList_andReadBackWithItsIndex() throws {
        let cohort = DeviceRoster(["dev-2", "dev-1"])
        let json = try JSONEncoder().encode(cohort)
        XCTAssertEqual(String(decoding: json, as: UTF8.self), #"["dev-2","dev-1"]"#)
        let read = try JSONDecoder().decode(DeviceRoster.self, from: Data(#"["dev-9","dev-8","dev-7"]"#.utf8))
        XCTAssertEqual(read.firstIndex(of: "dev-7"), 2)
        XCTAssertTrue(read.contains("dev-8"))
        XCTAssertEqual(read, DeviceRoster(["dev-9", "dev-8", "dev-7"]))
        XCTAssertNotEqual(read, DeviceRoster(["dev-8", "dev-9", "dev-7"]))
    }
}
