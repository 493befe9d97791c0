import Foundation

/// One benchmark figure, printed as one JSON line with keys in a fixed order:
/// `{"bench","metric","value","unit"}` plus `"peer"` and `"ratio"` where a figure is compared, and
/// `"note"` for context.
struct BenchLine {
    var bench: String
    var metric: String
    var value: Double
    var unit: String
    var peer: String?
    var ratio: Double?
    var note: String?

    init(_ bench: String, _ metric: String, _ value: Double, _ unit: String, note: String? = nil) {
        self.bench = bench
        self.metric = metric
        self.value = value
        self.unit = unit
        self.note = note
    }

    /// The JSON object on one line.
    var json: String {
        var fields = [
            "\"bench\":\(Self.quoted(bench))", "\"metric\":\(Self.quoted(metric))",
            "\"value\":\(Self.number(value))", "\"unit\":\(Self.quoted(unit))",
        ]
        if let peer { fields.append("\"peer\":\(Self.quoted(peer))") }
        if let ratio { fields.append("\"ratio\":\(Self.number(ratio))") }
        if let note { fields.append("\"note\":\(Self.quoted(note))") }
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// Prints the line to standard output at once.
    func emit() {
        print(json)
        fflush(nil)
    }

    private static func quoted(_ text: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        guard let data = try? encoder.encode(text) else { return "\"\"" }
        return String(decoding: data, as: UTF8.self)
    }

    private static func number(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(format: "%.6g", value)
    }
}
