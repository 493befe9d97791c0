import Foundation
import HTTPTypes
import StarlingProtocol
import StarlingTransport
import XCTest

@testable import StarlingAggregator

/// Admin clients of each role on a test aggregator, made through the admin API with its first
/// (admin) token, and closed when the test ends.
struct AdminCallers {
    let clients: [AdminRole: StarlingHTTPClient]
    let tokens: [AdminRole: CreatedAdminToken]

    static func make(on aggregator: TestAggregator, for test: XCTestCase) async throws -> AdminCallers {
        var clients: [AdminRole: StarlingHTTPClient] = [:]
        var tokens: [AdminRole: CreatedAdminToken] = [:]
        for role in AdminRole.allCases {
            let created: CreatedAdminToken = try await aggregator.admin.post(
                APIPath.adminTokens, json: CreateAdminTokenRequest(role: role.rawValue))
            let client = try TestAggregator.client(
                aggregator.endpoints.url, caPEM: aggregator.caPEM, token: created.token)
            test.addTeardownBlock { await client.shutdown() }
            clients[role] = client
            tokens[role] = created
        }
        return AdminCallers(clients: clients, tokens: tokens)
    }

    func client(_ role: AdminRole) throws -> StarlingHTTPClient { try XCTUnwrap(clients[role]) }
}

/// How the aggregator answered one call: the status, and the code and sentence of a refusal.
struct Answer: Equatable {
    var status: Int
    var code: String?
    var message: String?

    /// Sends `method` to `path` with an empty JSON object as the body of a POST or PUT, whatever
    /// the route expects, and reports the answer.
    static func of(
        _ method: HTTPRequest.Method, _ path: String, with client: StarlingHTTPClient
    ) async throws -> Answer {
        do throws(StarlingHTTPError) {
            switch method {
            case .get: _ = try await client.getBytes(path)
            case .post:
                _ = try await client.post(
                    path, bytes: Array("{}".utf8), contentType: "application/json", as: AnyObject.self)
            case .put: _ = try await client.put(path, json: [String: String](), as: AnyObject.self)
            case .delete: _ = try await client.delete(path, as: AnyObject.self)
            default: XCTFail("no admin route uses \(method)")
            }
            return Answer(status: 200)
        } catch {
            switch error {
            case .api(let status, let code, let message): return Answer(status: status, code: code, message: message)
            case .invalidResponse: return Answer(status: 200)
            case .transport: throw error
            }
        }
    }

    /// Any JSON object.
    struct AnyObject: Decodable, Sendable {}
}
