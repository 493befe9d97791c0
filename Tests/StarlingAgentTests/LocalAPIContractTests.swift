import StarlingTestSupport
import XCTest

@testable import StarlingAgent

/// docs/openapi.yaml against the agent: the local API's routes (``LocalAPIRoute``) are exactly the
/// document's operations tagged `agent`. The answers themselves are checked in every local API test
/// (see `withLocalAPI`).
final class LocalAPIContractTests: XCTestCase {
    func test_localAPIRoutes_areExactlyTheDocumentsAgentOperations() throws {
        let contract = try OpenAPIContract.repository.get()
        let documented = Set(contract.operations(tagged: ["agent"]).map(\.description))
        let code = Set(LocalAPIRoute.allCases.map { "\($0.method.rawValue) \($0.path)" })
        XCTAssertEqual(code.subtracting(documented).sorted(), [], "local API routes missing from docs/openapi.yaml")
        XCTAssertEqual(documented.subtracting(code).sorted(), [], "agent operations in docs/openapi.yaml with no route")
    }
}
