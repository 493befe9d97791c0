import Foundation

/// The rows `starling model predict` answers: a CSV with a header row naming its columns, then one
/// row of numbers per prediction. A column named `label`, if present, is ignored, so a labelled
/// evaluation file can be used as is.
///
/// Fields are split on commas and trimmed of spaces and of one pair of surrounding double quotes;
/// blank lines are skipped. Every error is one sentence naming the file and, where it applies, the
/// 1-based line and the column.
public struct FeatureRows: Sendable, Equatable {
    /// The column ignored when present.
    public static let labelColumn = "label"

    /// Header names of the feature columns, in file order.
    public var columns: [String]
    /// `count × columns.count` values, row-major.
    public var values: [Float]
    /// Number of data rows.
    public var count: Int { columns.isEmpty ? 0 : values.count / columns.count }

    /// Reads and parses the CSV file at `path`.
    public static func load(path: String) throws(AdminError) -> FeatureRows {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .configuration("Cannot read the CSV file \(path).")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .configuration("The CSV file \(path) is not UTF-8 text.")
        }
        return try parse(text, source: path)
    }

    /// Parses CSV text; `source` names it in errors.
    public static func parse(_ text: String, source: String) throws(AdminError) -> FeatureRows {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            .map { (number: $0.offset + 1, fields: fields(of: $0.element)) }
            .filter { !($0.fields.count == 1 && $0.fields[0].isEmpty) }
        guard !lines.isEmpty else { throw .configuration("The CSV file \(source) is empty.") }
        let header = lines.removeFirst().fields
        guard !header.allSatisfy({ Double($0) != nil }) else {
            throw .configuration(
                "The first line of \(source) looks like data, but a header row naming the columns is required.")
        }
        let labelIndex = header.firstIndex(of: labelColumn)
        let columns = header.enumerated().filter { $0.offset != labelIndex }.map(\.element)
        var values: [Float] = []
        values.reserveCapacity(lines.count * columns.count)
        for line in lines {
            guard line.fields.count == header.count else {
                throw .configuration(
                    "Line \(line.number) of \(source) has \(line.fields.count) field\(line.fields.count == 1 ? "" : "s"), "
                        + "but the header has \(header.count).")
            }
            for (index, field) in line.fields.enumerated() where index != labelIndex {
                guard let value = Float(field), value.isFinite else {
                    throw .configuration(
                        "Line \(line.number) of \(source), column '\(header[index])': '\(field)' is not a finite number."
                    )
                }
                values.append(value)
            }
        }
        return FeatureRows(columns: columns, values: values)
    }

    private static func fields(of line: Substring) -> [String] {
        line.split(separator: ",", omittingEmptySubsequences: false).map { raw in
            var field = raw.trimmingCharacters(in: .whitespaces.union(.init(charactersIn: "\r")))
            if field.count >= 2, field.hasPrefix("\""), field.hasSuffix("\"") {
                field = String(field.dropFirst().dropLast())
            }
            return field
        }
    }
}
