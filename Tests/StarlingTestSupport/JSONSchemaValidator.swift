import Foundation

/// Checks a JSON value against a JSON Schema (2020-12, as OpenAPI 3.1 uses it), for the keywords
/// docs/openapi.yaml uses: `$ref` (local), `type` (one or a list, `null` included), `enum`,
/// `properties`, `required`, `additionalProperties`, `items` and `oneOf`. Other keywords (formats,
/// bounds, descriptions) are not checked.
public struct JSONSchemaValidator: Sendable {
    /// The document `$ref`s point into (`#/components/schemas/…`).
    public let root: JSONValue

    public init(root: JSONValue) {
        self.root = root
    }

    /// Every way `value` breaks `schema`, each with the JSON path where it does; empty when it conforms.
    public func violations(of schema: JSONValue, by value: JSONValue, at path: String = "$") -> [String] {
        if let reference = schema["$ref"]?.string {
            guard let target = resolve(reference) else { return ["\(path): unresolvable $ref \(reference)"] }
            return violations(of: target, by: value, at: path)
        }
        if let types = schema["type"], !Self.types(types).contains(where: { Self.value(value, is: $0) }) {
            return ["\(path): expected type \(Self.types(types).joined(separator: " or ")), got \(value)"]
        }
        var found: [String] = []
        if let allowed = schema["enum"]?.array, !allowed.contains(where: { Self.equal($0, value) }) {
            found.append("\(path): \(value) is not one of \(allowed)")
        }
        if let alternatives = schema["oneOf"]?.array {
            let matching = alternatives.filter { violations(of: $0, by: value, at: path).isEmpty }.count
            if matching != 1 { found.append("\(path): matches \(matching) of the oneOf schemas, not exactly one") }
        }
        if case .object(let members) = value {
            found += objectViolations(of: schema, by: members, at: path)
        }
        if case .array(let elements) = value, let items = schema["items"] {
            for (index, element) in elements.enumerated() {
                found += violations(of: items, by: element, at: "\(path)[\(index)]")
            }
        }
        return found
    }

    private func objectViolations(of schema: JSONValue, by members: [String: JSONValue], at path: String) -> [String] {
        var found: [String] = []
        for name in schema["required"]?.array?.compactMap(\.string) ?? [] where members[name] == nil {
            found.append("\(path): required property '\(name)' is missing")
        }
        let properties = schema["properties"]?.object ?? [:]
        for (name, member) in members.sorted(by: { $0.key < $1.key }) {
            if let property = properties[name] {
                found += violations(of: property, by: member, at: "\(path).\(name)")
            } else if let additional = schema["additionalProperties"] {
                if additional == .bool(false) {
                    found.append("\(path): property '\(name)' is not in the schema")
                } else if additional.object != nil {
                    found += violations(of: additional, by: member, at: "\(path).\(name)")
                }
            }
        }
        return found
    }

    /// The part of ``root`` a local reference (`#/components/schemas/Error`) names.
    public func resolve(_ reference: String) -> JSONValue? {
        guard reference.hasPrefix("#/") else { return nil }
        var node: JSONValue? = root
        for component in reference.dropFirst(2).split(separator: "/") {
            let key = component.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            node = node?[key]
        }
        return node
    }

    private static func types(_ value: JSONValue) -> [String] {
        value.array?.compactMap(\.string) ?? value.string.map { [$0] } ?? []
    }

    private static func value(_ value: JSONValue, is type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("integer", .integer), ("number", .integer),
            ("number", .number), ("string", .string), ("array", .array), ("object", .object):
            true
        default:
            false
        }
    }

    /// JSON equality, where 1 and 1.0 are the same number.
    private static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.integer(let x), .number(let y)), (.number(let y), .integer(let x)): Double(x) == y
        default: a == b
        }
    }
}
