import Foundation
import HTTPTypes
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

@testable import StarlingAggregator

/// Every admin route refuses tokens below its role with 403 `insufficient_role` and admits the
/// others; the routes are enumerated from the one table that decides access, so none is missed.
final class AdminRoleTests: XCTestCase {
    /// A concrete path for a route template: every parameter replaced by a value naming nothing.
    private func path(_ endpoint: AdminEndpoint) -> String {
        let parts = endpoint.template.split(separator: "/", omittingEmptySubsequences: false).map { part -> String in
            switch part {
            case ":version": return "1"
            case ":action": return "pause"
            case let parameter where parameter.hasPrefix(":"): return "absent-\(parameter.dropFirst())"
            default: return String(part)
            }
        }
        return parts.joined(separator: "/")
    }

    func test_everyAdminRoute_refusesEachRoleBelowItsOwn_andAdmitsItsRoleAndAbove() async throws {
        let aggregator = try await TestAggregator.start()
        addTeardownBlock { try await aggregator.stop() }
        let callers = try await AdminCallers.make(on: aggregator, for: self)

        for endpoint in AdminEndpoint.allCases {
            let (method, _, needed) = endpoint.route
            for role in AdminRole.allCases {
                let answer = try await Answer.of(method, path(endpoint), with: try callers.client(role))
                let call = "\(method) \(endpoint.template) as \(role.rawValue)"
                if role < needed {
                    XCTAssertEqual(answer.status, 403, call)
                    XCTAssertEqual(answer.code, "insufficient_role", call)
                    XCTAssertEqual(
                        answer.message,
                        "this call needs a token of role \(needed.rawValue) or above, and this token's role is \(role.rawValue)",
                        call)
                } else {
                    XCTAssertNotEqual(answer.status, 403, "\(call): \(answer)")
                    XCTAssertNotEqual(answer.status, 401, "\(call): \(answer)")
                    XCTAssertNotEqual(answer.status, 405, "\(call): the route is not registered (\(answer))")
                }
            }
        }
    }

    func test_roleTable_givesViewersEveryReadButTheAuditAndAccess_andOperatorsNoAccessManagement() {
        let reads = AdminEndpoint.allCases.filter { $0.route.method == .get }
        let adminReads: Set<AdminEndpoint> = [.listAdminTokens, .listEnrollmentTokens, .readAudit]
        for endpoint in reads {
            XCTAssertEqual(endpoint.route.role, adminReads.contains(endpoint) ? .admin : .viewer, endpoint.template)
        }
        for endpoint in AdminEndpoint.allCases where endpoint.route.method != .get {
            XCTAssertNotEqual(endpoint.route.role, .viewer, "a viewer changes nothing: \(endpoint.template)")
        }
        let access: [AdminEndpoint] = [
            .createAdminToken, .revokeAdminToken, .createEnrollmentToken, .revokeEnrollmentToken, .revokeDevice,
            .createModel, .importModel, .setRefinement,
        ]
        for endpoint in access { XCTAssertEqual(endpoint.route.role, .admin, endpoint.template) }
        XCTAssertEqual(
            Set(AdminEndpoint.allCases.map { "\($0.route.method) \($0.route.path)" }).count,
            AdminEndpoint.allCases.count,
            "every route is in the table once")
    }

    func test_refinement_answersEveryRole() async throws {
        let aggregator = try await TestAggregator.start()
        addTeardownBlock { try await aggregator.stop() }
        let callers = try await AdminCallers.make(on: aggregator, for: self)
        for role in AdminRole.allCases {
            let answer = try await Answer.of(.post, APIPath.refine, with: try callers.client(role))
            XCTAssertNotEqual(answer.status, 403, role.rawValue)
            XCTAssertNotEqual(answer.status, 401, role.rawValue)
        }
    }
}
