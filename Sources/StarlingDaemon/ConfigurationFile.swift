import Yams

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
        let document: Any?
        do {
            document = try Yams.load(yaml: text)
        } catch {
            throw Problem(description: "the configuration is not YAML: \(error)")
        }
        guard let document else { return [] }
        guard let mapping = document as? [String: Any] else {
            throw Problem(description: "the configuration must be a mapping of option names to values")
        }
        var arguments: [String] = []
        for key in mapping.keys.sorted() {
            guard !key.isEmpty, !key.hasPrefix("-"), key != "config",
                key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" })
            else {
                throw Problem(description: "'\(key.prefix(64))' is not an option name")
            }
            switch mapping[key] {
            case let flag as Bool:
                arguments.append(flag ? "--\(key)" : "--no-\(key)")
            case let values as [Any]:
                for value in values { arguments += ["--\(key)", try scalar(value, key: key)] }
            case let value?:
                arguments += ["--\(key)", try scalar(value, key: key)]
            case nil:
                continue
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
            throw Problem(description: "cannot read the configuration file \(path): \(error.localizedDescription)")
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

    private static func scalar(_ value: Any, key: String) throws(Problem) -> String {
        switch value {
        case let text as String: return text
        case let number as Int: return String(number)
        case let number as Double: return String(number)
        default: throw Problem(description: "'\(key)' must be a string, a number, true or false, or a list of them")
        }
    }
}
