#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A numeric CSV with a header row: every column except the label column is a float feature.
///
/// This is how local training data and evaluation sets enter Starling; parsing is strict and every
/// error names the offending line and column so a user can fix the file.
public struct CSVTable: Sendable, Equatable {
    /// Header names of the feature columns, in file order (label column removed).
    public var featureNames: [String]
    /// `rowCount × featureNames.count` values, row-major.
    public var features: [Float]
    /// Raw label text per row.
    public var labels: [String]
    /// 1-based source line of each row (used in error messages).
    public private(set) var lineNumbers: [Int]

    /// Number of data rows.
    public var rowCount: Int { labels.count }

    /// Builds a table directly; rows are numbered as if they followed a header on line 1.
    public init(featureNames: [String], features: [Float], labels: [String]) {
        precondition(features.count == labels.count * featureNames.count, "features do not match rows × columns")
        self.init(
            featureNames: featureNames, features: features, labels: labels,
            lineNumbers: labels.indices.map { $0 + 2 })
    }

    init(featureNames: [String], features: [Float], labels: [String], lineNumbers: [Int]) {
        self.featureNames = featureNames
        self.features = features
        self.labels = labels
        self.lineNumbers = lineNumbers
    }

    /// Parses CSV text. Lines end in LF or CRLF; blank lines are skipped; fields are trimmed of spaces
    /// and tabs and of one pair of surrounding double quotes (commas inside quotes do not split).
    /// Errors (one sentence each, 1-based line numbers): empty input, no header, missing label
    /// column, a row with the wrong number of fields, a non-numeric or non-finite feature value.
    public static func parse(_ text: String, labelColumn: String) throws(CSVError) -> CSVTable {
        var lines = CSVLines(text)
        guard let header = lines.next() else { throw .emptyInput }
        let columns = header.fields
        let labelIndex = try validateHeader(columns, labelColumn: labelColumn)
        let featureNames = columns.enumerated().filter { $0.offset != labelIndex }.map(\.element)

        var features: [Float] = []
        var labels: [String] = []
        var lineNumbers: [Int] = []
        while let line = lines.next() {
            let fields = line.fields
            guard fields.count == columns.count else {
                throw .wrongFieldCount(line: line.number, found: fields.count, expected: columns.count)
            }
            for (index, field) in fields.enumerated() {
                if index == labelIndex {
                    guard !field.isEmpty else { throw .emptyLabel(line: line.number) }
                    labels.append(field)
                    continue
                }
                guard let value = Float(field) else {
                    throw .notANumber(line: line.number, column: columns[index], value: field)
                }
                guard value.isFinite else {
                    throw .notFinite(line: line.number, column: columns[index], value: field)
                }
                features.append(value)
            }
            lineNumbers.append(line.number)
        }
        return CSVTable(featureNames: featureNames, features: features, labels: labels, lineNumbers: lineNumbers)
    }

    /// Reads a UTF-8 file (an optional BOM is skipped) and parses it; I/O problems become `CSVError` too.
    public static func load(contentsOf url: URL, labelColumn: String) throws(CSVError) -> CSVTable {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .unreadableFile(path: url.path, reason: FileErrorReason.describe(error))
        }
        guard let text = String(data: data, encoding: .utf8) else { throw .notUTF8(path: url.path) }
        return try parse(text, labelColumn: labelColumn)
    }

    /// Class names in a stable order: numerically when every label is a number, else lexicographically.
    public var distinctLabels: [String] {
        let unique = Array(Set(labels))
        let numeric = unique.map { Double($0) }
        if numeric.allSatisfy({ $0 != nil }) {
            return zip(unique, numeric)
                .sorted { ($0.1 ?? 0, $0.0) < ($1.1 ?? 0, $1.0) }
                .map(\.0)
        }
        return unique.sorted()
    }

    /// Maps each label to its index in `classes`; an unknown label is an error naming it and its line.
    public func dataset(classes: [String]) throws(CSVError) -> Dataset {
        var indexOf: [String: Int] = [:]
        for (index, name) in classes.enumerated() where indexOf[name] == nil {
            indexOf[name] = index
        }
        var indices: [Int] = []
        indices.reserveCapacity(rowCount)
        for (row, label) in labels.enumerated() {
            guard let index = indexOf[label] else { throw .unknownLabel(label, line: lineNumbers[row]) }
            indices.append(index)
        }
        return Dataset(featureCount: featureNames.count, features: features, labels: indices)
    }

    private static func validateHeader(_ columns: [String], labelColumn: String) throws(CSVError) -> Int {
        var seen = Set<String>()
        for (index, name) in columns.enumerated() {
            guard !name.isEmpty else { throw .emptyColumnName(column: index + 1) }
            guard seen.insert(name).inserted else { throw .duplicateColumn(name) }
        }
        guard let labelIndex = columns.firstIndex(of: labelColumn) else {
            if columns.allSatisfy({ Double($0) != nil }) { throw .missingHeader }
            throw .missingLabelColumn(labelColumn, available: columns)
        }
        return labelIndex
    }
}
