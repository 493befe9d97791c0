import Foundation
import StarlingProtocol
import XCTest

@testable import StarlingAggregator

/// The dashboard's HTML without a server: text is always escaped, a device tag holding a script
/// shows as text, and charts label their values directly.
final class DashboardRenderingTests: XCTestCase {
    func test_interpolatedText_isEscaped_andInterpolatedHTMLIsNot() {
        let name = "<b>\"o'k\" & more</b>"
        let bold: HTML = "<b>\(name)</b>"
        XCTAssertEqual(bold.markup, "<b>&lt;b&gt;&quot;o&#39;k&quot; &amp; more&lt;/b&gt;</b>")
        let nested: HTML = "<p>\(bold)</p>"
        XCTAssertEqual(nested.markup, "<p>" + bold.markup + "</p>")
        XCTAssertEqual(HTML.escape("<i>"), "&lt;i&gt;")
    }

    func test_fleetPage_showsAScriptTagAsText() {
        let device = DeviceInfo(
            id: "dev-1", tags: [Tag(key: "<script>alert(1)</script>", value: "x")], enrolledAt: Date(), lastSeen: nil,
            online: true, sampleCount: 5, runningModel: "m@1")
        let html = FleetPage.render(DeviceList(devices: [device])).markup
        XCTAssertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;=x"))
        XCTAssertFalse(html.contains("<script"))
        XCTAssertTrue(html.contains("online"))
    }

    func test_metricsChart_labelsTitleFirstAndLastValues_andEveryPoint() {
        let chart = MetricsChart(title: "evaluation accuracy", points: [(1, 0.5), (2, 0.7), (3, 0.875)]).svg.markup
        XCTAssertTrue(chart.hasPrefix("<svg"))
        XCTAssertTrue(chart.contains(">evaluation accuracy</text>"))
        XCTAssertTrue(chart.contains(">0.500</text>"))
        XCTAssertTrue(chart.contains(">0.875</text>"))
        XCTAssertTrue(chart.contains("round 3"))
        XCTAssertEqual(chart.components(separatedBy: "<circle").count - 1, 3)
        XCTAssertTrue(chart.contains("<title>round 2: 0.700</title>"), "a point names its round and value")
    }

    func test_metricsChart_withoutFinitePoints_drawsNothing() {
        XCTAssertEqual(MetricsChart(title: "loss", points: []).svg, .empty)
        XCTAssertEqual(MetricsChart(title: "loss", points: [(1, .nan)]).svg, .empty)
    }

    func test_viewerRolloutsPage_hasNoForms_operatorsHasTheActionsOfTheState() {
        let deployment = DeploymentInfo(
            id: "dep-1", model: "m", version: 2, alias: nil, selector: .all, strategy: .canary, state: .paused,
            reason: "an operator paused it", waves: [5, 25, 100], currentWave: 1, bakeSeconds: 60, maxFailureRate: 0.05,
            targeted: 10, counts: DeploymentCounts(waiting: 7, pending: 0, installed: 3, failed: 0), createdAt: Date())
        let viewer = RolloutsPage.render([deployment], canSteer: false, csrfToken: "t").markup
        XCTAssertFalse(viewer.contains("<form"))
        let operator_ = RolloutsPage.render([deployment], canSteer: true, csrfToken: "t").markup
        for action in ["resume", "abort", "rollback"] {
            XCTAssertTrue(operator_.contains("action=\"/ui/rollouts/dep-1/\(action)\""), action)
        }
        XCTAssertFalse(operator_.contains("/pause\""))
        XCTAssertTrue(operator_.contains("<span class=\"current\">25%</span>"))
    }

    func test_constantTimeEqual_comparesWholeStrings() {
        XCTAssertTrue(DashboardForms.constantTimeEqual("abc", "abc"))
        XCTAssertFalse(DashboardForms.constantTimeEqual("abc", "abd"))
        XCTAssertFalse(DashboardForms.constantTimeEqual("abc", "abcd"))
        XCTAssertFalse(DashboardForms.constantTimeEqual("", "a"))
    }
}
