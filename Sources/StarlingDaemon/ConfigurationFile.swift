#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A daemon's YAML configuration file, read as the command line it stands for: each key is a
/// long option of the command, without its dashes (`listen: 127.0.0.1:8443`,
/// `monitor-aggregation: secure`); `true` turns a flag on, `false` turns an on-by-default flag off
/// (`monitoring: false` is `--no-monitoring`), and a list repeats the option. The file's options
/// go before the command line's, so a flag given on the command line overrides the file. An
/// unknown key is refused by the command's own parser, naming it.
public enum ConfigurationFile {
    /// Why a configuration file cannot be used.
    public struct Problem: Error, CustomStringConvertible {
        public let description: String
    }

    /// The options `text` stands for, in the file's order.
    public static func arguments(fromYAML text: String) throws(Problem) -> [String] {
        let document = try OptionsDocument(parsing: text)
        var arguments: [String] = []
        for (key, value) in document.entries.sorted(by: { $0.key < $1.key }) {
            guard !key.isEmpty, !key.hasPrefix("-"), key != "config",
                key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" })
            else {
                throw Problem(description: "'\(key.prefix(64))' is not an option name")
            }
            switch value {
            case .flag(let on): arguments.append(on ? "--\(key)" : "--no-\(key)")
            case .list(let values): for value in values { arguments += ["--\(key)", value] }
            case .scalar(let value): arguments += ["--\(key)", value]
            }
        }
        return arguments
    }

    /// `arguments` (the subcommand first) with the options of the file `--config PATH` names put
    /// right after the subcommand, before the command line's own; unchanged without `--config`.
    public static func expand(_ arguments: [String]) throws(Problem) -> [String] {
        guard let path = path(in: arguments), let subcommand = arguments.first else { return arguments }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let reason =
                switch (error as? CocoaError)?.code {
                case .fileReadNoSuchFile?: "there is no such file"
                case .fileReadNoPermission?: "permission denied"
                default: "it is not readable UTF-8 text"
                }
            throw Problem(description: "cannot read the configuration file \(path): \(reason)")
        }
        return [subcommand] + (try self.arguments(fromYAML: text)) + arguments.dropFirst()
    }

    /// The value of `--config PATH` or `--config=PATH`, if given.
    public static func path(in arguments: [String]) -> String? {
        for (index, argument) in arguments.enumerated() {
            if argument == "--config", index + 1 < arguments.count { return arguments[index + 1] }
            if argument.hasPrefix("--config=") { return String(argument.dropFirst("--config=".count)) }
        }
        return nil
    }
}
