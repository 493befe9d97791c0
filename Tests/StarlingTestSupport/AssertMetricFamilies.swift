import Foundation
import StarlingMetrics
import XCTest

/// Asserts that a scrape exports only families of `catalogue`, each with the type its entry gives,
/// and that `docs/metrics.md` names every family of `catalogue`.
public func assertMetricFamilies(
    _ catalogue: [MetricFamily], in exposition: String, file: StaticString = #filePath, line: UInt = #line
) throws {
    let exported = PrometheusSamples(exposition).types
    for (name, type) in exported {
        guard let family = catalogue.first(where: { $0.name == name }) else {
            XCTFail("\(name) is exported but not in the catalogue", file: file, line: line)
            continue
        }
        XCTAssertEqual(type, family.kind.prometheusType, name, file: file, line: line)
    }
    // Tests/<target>/<file>.swift → the repository's root.
    let root = URL(fileURLWithPath: "\(file)").deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let documentation = try String(contentsOf: root.appendingPathComponent("docs/metrics.md"), encoding: .utf8)
    for family in catalogue {
        XCTAssertTrue(
            documentation.contains("| `\(family.name)` | \(family.kind.prometheusType) |"),
            "docs/metrics.md has no row for \(family.name)", file: file, line: line)
    }
}

extension MetricFamily.Kind {
    fileprivate var prometheusType: String {
        switch self {
        case .counter: "counter"
        case .gauge: "gauge"
        case .histogram: "histogram"
        }
    }
}
