import Foundation
import XCTest

/// A dashboard session opened through one replica works through another that shares its PostgreSQL
/// database, as it must when a balancer spreads the public listener or a takeover moves it, and a
/// sign-out through either ends it for both.
final class DashboardReplicaTests: XCTestCase {
    func test_aSessionOpenedOnOneReplica_opensPagesOnTheOther_andSignOutThereEndsItEverywhere() async throws {
        let schema = try PostgreSQLTestSchema()
        addTeardownBlock { try await schema.drop() }
        let leader = try await TestAggregator.start(databaseURL: schema.url)
        addTeardownBlock { try await leader.stop() }
        let follower = try await TestAggregator.start(folder: try leader.replicaFolder(), databaseURL: schema.url)
        addTeardownBlock { try await follower.stop() }

        var onLeader = DashboardBrowser(leader)
        let signIn = try await onLeader.signIn(try XCTUnwrap(leader.adminToken))
        XCTAssertEqual(signIn.status, 303)
        var onFollower = DashboardBrowser(follower)
        onFollower.session = onLeader.session
        let page = try await onFollower.get("/ui/")
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.body.contains("<h1>Fleet</h1>"))

        let csrf = try await onFollower.csrfToken(on: "/ui/")
        let signOut = try await onFollower.post("/ui/sign-out", [("csrf", csrf)])
        XCTAssertEqual(signOut.status, 303)
        let afterSignOut = try await onLeader.get("/ui/")
        XCTAssertEqual(afterSignOut.status, 303, "signed out through the other replica")
        XCTAssertEqual(afterSignOut.header("Location"), "/ui/sign-in")
    }
}
