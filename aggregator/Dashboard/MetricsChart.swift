/// A line chart of one federated metric over a run's rounds, drawn as inline SVG on the server.
///
/// Exists so the rounds page shows how a run is going at a glance, with no script and no legend to
/// hunt: the metric's name heads the chart above the plot, the first and last rounds are written
/// under the x axis, the first value left of its point and the last one right of its point, and
/// every point names its round and value when pointed at.
struct MetricsChart {
    let title: String
    /// (round, value), in round order.
    let points: [(round: Int, value: Double)]

    static let width = 360.0
    static let height = 120.0
    private static let left = 44.0
    private static let right = 64.0
    private static let top = 30.0
    private static let bottom = 22.0

    /// The chart, or nothing when there are no finite points to draw.
    var svg: HTML {
        let finite = points.filter { $0.value.isFinite }
        guard let first = finite.first, let last = finite.last else { return .empty }
        let values = finite.map(\.value)
        var low = values.min() ?? 0
        var high = values.max() ?? 1
        if high - low < 1e-9 {
            low -= 0.5
            high += 0.5
        }
        let rounds = (first.round, max(last.round, first.round + 1))
        let x = { (round: Int) in
            Self.left + Double(round - rounds.0) / Double(rounds.1 - rounds.0) * (Self.width - Self.left - Self.right)
        }
        let y = { (value: Double) in
            Self.top + (high - value) / (high - low) * (Self.height - Self.top - Self.bottom)
        }
        let line = finite.map { "\(Self.coordinate(x($0.round))),\(Self.coordinate(y($0.value)))" }
            .joined(separator: " ")
        let dots = HTML(
            joining: finite.map { point -> HTML in
                """
                <circle cx="\(Self.coordinate(x(point.round)))" cy="\(Self.coordinate(y(point.value)))" r="2.5" \
                fill="#1d4ed8"><title>round \(point.round): \(DashboardLayout.number(point.value))</title></circle>
                """
            })
        let baseline = Self.coordinate(Self.height - Self.bottom)
        let lastLabel = "\(DashboardLayout.number(last.value))"
        let firstLabel: HTML =
            finite.count > 1
            ? """
            <text x="\(Self.coordinate(x(first.round) - 6))" y="\(Self.coordinate(y(first.value) + 4))" \
            text-anchor="end">\(DashboardLayout.number(first.value))</text>
            """ : .empty
        return """
            <svg class="chart" viewBox="0 0 \(Int(Self.width)) \(Int(Self.height))" role="img" \
            aria-label="\(title) over rounds \(first.round) to \(last.round): from \(DashboardLayout.number(first.value)) \
            to \(lastLabel)">
            <text x="0" y="14" font-weight="600">\(title)</text>
            <line class="axis" x1="\(Self.coordinate(Self.left))" y1="\(baseline)" \
            x2="\(Self.coordinate(Self.width - Self.right))" y2="\(baseline)" stroke="#9ca3af"/>
            <text x="\(Self.coordinate(Self.left))" y="\(Self.coordinate(Self.height - 6))">round \(first.round)</text>
            <text x="\(Self.coordinate(Self.width - Self.right))" y="\(Self.coordinate(Self.height - 6))" \
            text-anchor="end">round \(last.round)</text>
            <polyline points="\(line)" fill="none" stroke="#1d4ed8" stroke-width="2"/>\(dots)\(firstLabel)
            <text x="\(Self.coordinate(x(last.round) + 6))" y="\(Self.coordinate(y(last.value) + 4))" \
            font-weight="600">\(lastLabel)</text>
            </svg>
            """
    }

    /// A coordinate with one decimal, which is finer than a pixel at the chart's size.
    private static func coordinate(_ value: Double) -> String {
        DashboardLayout.number(value, digits: 1)
    }
}
