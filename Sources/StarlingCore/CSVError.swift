/// Why a CSV file could not be turned into a table or dataset; one sentence, 1-based line numbers.
public enum CSVError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The input has no non-blank line.
    case emptyInput
    /// The first line looks like data; a header row naming the columns is required.
    case missingHeader
    /// A header field is empty.
    case emptyColumnName(column: Int)
    /// Two header fields have the same name.
    case duplicateColumn(String)
    /// The header does not contain the label column.
    case missingLabelColumn(String, available: [String])
    /// A data row has a different number of fields than the header.
    case wrongFieldCount(line: Int, found: Int, expected: Int)
    /// A feature value does not parse as a number.
    case notANumber(line: Int, column: String, value: String)
    /// A feature value parses but is NaN or infinite.
    case notFinite(line: Int, column: String, value: String)
    /// A row's label field is empty.
    case emptyLabel(line: Int)
    /// A label is not one of the model's classes.
    case unknownLabel(String, line: Int)
    /// The file could not be read.
    case unreadableFile(path: String, reason: String)
    /// The file is not valid UTF-8 text.
    case notUTF8(path: String)

    public var description: String {
        switch self {
        case .emptyInput:
            return "The CSV input is empty."
        case .missingHeader:
            return "The first line looks like data, but a header row naming the columns is required."
        case .emptyColumnName(let column):
            return "Header column \(column) has an empty name."
        case .duplicateColumn(let name):
            return "The header names column '\(name)' more than once."
        case .missingLabelColumn(let name, let available):
            let shown = available.prefix(8).joined(separator: ", ") + (available.count > 8 ? ", …" : "")
            return "The header has no label column '\(name)' (columns: \(shown))."
        case .wrongFieldCount(let line, let found, let expected):
            return "line \(line) has \(found) fields, expected \(expected)"
        case .notANumber(let line, let column, let value):
            return "line \(line), column '\(column)': '\(value)' is not a number"
        case .notFinite(let line, let column, let value):
            return "line \(line), column '\(column)': '\(value)' is not a finite number"
        case .emptyLabel(let line):
            return "line \(line) has an empty label"
        case .unknownLabel(let label, let line):
            return "line \(line): label '\(label)' is not one of the model's classes"
        case .unreadableFile(let path, let reason):
            return "Cannot read CSV file \(path): \(reason)."
        case .notUTF8(let path):
            return "The CSV file \(path) is not valid UTF-8 text."
        }
    }
}
