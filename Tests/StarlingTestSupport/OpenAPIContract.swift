import Foundation
import StarlingTransport
import XCTest

/// docs/openapi.json (made from docs/openapi.yaml) read for the tests: which routes it describes, for
/// each listener, and whether an answer is one the document allows, so every answer a test client
/// receives is checked against the contract.
public struct OpenAPIContract: Sendable {
    /// One operation of the document: `GET /v1/admin/rounds/{id}`.
    public struct Operation: Hashable, Sendable, CustomStringConvertible {
        public var method: String
        public var path: String
        public var description: String { "\(method) \(path)" }
    }

    public let document: JSONValue
    private let validator: JSONSchemaValidator

    /// The repository's docs/openapi.json, read once.
    public static let repository = Result { try OpenAPIContract(contentsOf: repositoryFile) }

    /// docs/openapi.json beside this package's sources.
    public static var repositoryFile: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/openapi.json")
    }

    public init(contentsOf file: URL) throws {
        try self.init(document: JSONValue.parse(try Data(contentsOf: file)))
    }

    public init(document: JSONValue) {
        self.document = document
        validator = JSONSchemaValidator(root: document)
    }

    private static let methods = ["get", "post", "put", "delete"]

    /// Every operation with one of `tags` (`public`, `admin`, `device`, `metrics`, `agent`).
    public func operations(tagged tags: Set<String>) -> Set<Operation> {
        var found: Set<Operation> = []
        for (path, item) in document["paths"]?.object ?? [:] {
            for method in Self.methods {
                guard let operation = item[method] else { continue }
                let operationTags = Set(operation["tags"]?.array?.compactMap(\.string) ?? [])
                if !operationTags.isDisjoint(with: tags) {
                    found.insert(Operation(method: method.uppercased(), path: path))
                }
            }
        }
        return found
    }

    /// The operation object for `method` on the path template `path`.
    public func operation(_ method: String, _ path: String) -> JSONValue? {
        document["paths"]?[path]?[method.lowercased()]
    }

    /// The path template a concrete path falls under, literal segments winning over parameters
    /// (`/v1/admin/deployments/d1/events` is `…/{id}/events`, not `…/{id}/{action}`).
    public func template(of path: String, method: String) -> String? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        let candidates = (document["paths"]?.object ?? [:]).keys.filter { template in
            let parts = template.split(separator: "/", omittingEmptySubsequences: false)
            return parts.count == segments.count
                && zip(parts, segments).allSatisfy { part, segment in part.hasPrefix("{") || part == segment }
                && operation(method, template) != nil
        }
        return candidates.max { parameterCount($0) > parameterCount($1) }
    }

    private func parameterCount(_ template: String) -> Int {
        template.split(separator: "/").filter { $0.hasPrefix("{") }.count
    }

    /// Every way `exchange` breaks the document: an answer on a route it does not describe, a status
    /// the route does not list (nor a `default`), or a JSON body its schema does not allow. Error
    /// answers of unknown routes (404, 405) must still be `Error` bodies.
    public func violations(of exchange: StarlingHTTPExchange) -> [String] {
        let call = "\(exchange.method) \(exchange.path) answered \(exchange.status)"
        let isJSON = exchange.contentType?.hasPrefix("application/json") ?? false
        let schema: JSONValue
        if let template = template(of: exchange.path, method: exchange.method),
            let responses = operation(exchange.method, template)?["responses"]
        {
            guard let response = responses[String(exchange.status)] ?? responses["default"] else {
                return ["\(call): the document lists no such status for \(exchange.method) \(template)"]
            }
            guard let content = resolved(response)["content"] else { return [] }
            guard isJSON else { return [] }
            guard let json = content["application/json"]?["schema"] else {
                return ["\(call): JSON, where the document describes no JSON answer"]
            }
            schema = json
        } else if exchange.status >= 400 {
            guard isJSON else { return ["\(call): an error without a JSON body"] }
            schema = .object(["$ref": .string("#/components/schemas/Error")])
        } else {
            return ["\(call): the document does not describe this route"]
        }
        do {
            let body = try JSONValue.parse(exchange.body)
            return validator.violations(of: schema, by: body).map { "\(call): \($0)" }
        } catch {
            return ["\(call): the body is not JSON: \(error)"]
        }
    }

    /// A response object, through its `$ref` if it has one.
    private func resolved(_ response: JSONValue) -> JSONValue {
        response["$ref"]?.string.flatMap(validator.resolve) ?? response
    }

    /// An observer for ``StarlingHTTPClient`` that fails the running test for every answer that
    /// breaks the repository's document.
    public static let failingTestOnViolation: @Sendable (StarlingHTTPExchange) -> Void = { exchange in
        do {
            for violation in try repository.get().violations(of: exchange) {
                XCTFail("OpenAPI contract: \(violation)")
            }
        } catch {
            XCTFail("cannot read \(repositoryFile.path): \(error)")
        }
    }
}
