import Foundation
import StarlingAdmin
import StarlingProtocol
import StarlingTransport
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// Real agent processes, a third of them gone wrong: one frozen with SIGSTOP (its connections stay
/// open and never answer) and one killed. Over-selecting runs, plain and secure, still finish at the
/// healthy devices' updates, without waiting out a deadline and without hanging; so do a run that
/// invites every device but gives each a timeout, and buffered asynchronous runs, plain and with
/// SecAgg+ groups, whose versions come from whichever devices answer.
final class StragglerTests: XCTestCase {
    func test_plainSecureAndBufferedRuns_finish_withAThirdOfTheAgentsFrozenOrKilled() async throws {
        let aggregator = try await AggregatorHarness.start(for: self)
        let admin = aggregator.admin
        _ = try await admin.createModel(CreateModelRequest(name: "flaky", architecture: "64-16-10", seed: 1))
        try await aggregator.startAgents(6, rows: 100)
        let agent4 = await aggregator.fleet.processes.member(named: "agent-4")
        let agent5 = await aggregator.fleet.processes.member(named: "agent-5")
        let frozen = try XCTUnwrap(agent4)
        let killed = try XCTUnwrap(agent5)
        kill(frozen.processIdentifier, SIGSTOP)
        defer { kill(frozen.processIdentifier, SIGCONT) }
        killed.killAbruptly()

        for secure in [false, true] {
            // Up to six devices are invited for four updates; the round deadline (10 minutes) is
            // never what ends a round.
            let started = try await admin.startRun(
                StartRunRequest(
                    model: "flaky", clients: 4, minClients: 3, rounds: 2, deadlineSeconds: 600, seed: 5,
                    secureAggregation: secure, overSelection: 0.5))
            let finished = try await Wait.until(
                "the \(secure ? "secure" : "plain") run to end", timeout: .seconds(240), interval: .milliseconds(200)
            ) {
                guard let info = try? await admin.run(id: started.id), info.state.isFinal else {
                    return nil as RunInfo?
                }
                return info
            }
            XCTAssertEqual(finished.state, .completed, finished.failureReason ?? "")
            XCTAssertEqual(finished.rounds.count, 2)
            for round in finished.rounds {
                XCTAssertGreaterThanOrEqual(round.updatesReceived, 4, "\(round)")
                XCTAssertGreaterThan(
                    round.cohortSize, round.updatesReceived,
                    "devices that never answered were invited, and the round did not wait for them")
            }
        }

        // Every device invited, the frozen and the killed one too: each has five seconds to answer,
        // so neither holds a round until its ten-minute deadline.
        let timed = try await admin.startRun(
            StartRunRequest(
                model: "flaky", clients: 6, minClients: 4, rounds: 2, deadlineSeconds: 600, seed: 6,
                secureAggregation: false, deviceTimeoutSeconds: 5))
        let closed = try await Wait.until("the run with device timeouts to end", timeout: .seconds(240)) {
            guard let info = try? await admin.run(id: timed.id), info.state.isFinal else { return nil as RunInfo? }
            return info
        }
        XCTAssertEqual(closed.state, .completed, closed.failureReason ?? "")
        XCTAssertEqual(closed.rounds.map(\.updatesReceived), [4, 4])
        XCTAssertEqual(closed.rounds.map(\.cohortSize), [6, 6])

        // Every device may train at once; every three updates make a version.
        let buffered = try await admin.startRun(
            StartRunRequest(
                model: "flaky", clients: 6, minClients: 3, rounds: 3, deadlineSeconds: 600, seed: 7,
                secureAggregation: false, mode: .async, buffer: 3, maxStaleness: 2))
        let finished = try await Wait.until(
            "the buffered run to end", timeout: .seconds(240), interval: .milliseconds(200)
        ) {
            guard let info = try? await admin.run(id: buffered.id), info.state.isFinal else { return nil as RunInfo? }
            return info
        }
        XCTAssertEqual(finished.state, .completed, finished.failureReason ?? "")
        XCTAssertEqual(finished.rounds.map(\.updatesReceived), [3, 3, 3])
        let versions = try await admin.versions(model: "flaky").filter { $0.lineage.runId == buffered.id }
        XCTAssertEqual(versions.count, 3)

        // Under SecAgg+ each buffer is a group of three: a group holding the frozen or the killed
        // device closes its key advertising at its deadline with the two others, and goes on.
        let grouped = try await admin.startRun(
            StartRunRequest(
                model: "flaky", clients: 6, minClients: 2, rounds: 3, deadlineSeconds: 12, seed: 8,
                secureAggregation: true, mode: .async, buffer: 3, maxStaleness: 2))
        let groupedEnd = try await Wait.until(
            "the secure buffered run to end", timeout: .seconds(240), interval: .milliseconds(200)
        ) {
            guard let info = try? await admin.run(id: grouped.id), info.state.isFinal else { return nil as RunInfo? }
            return info
        }
        XCTAssertEqual(groupedEnd.state, .completed, groupedEnd.failureReason ?? "")
        XCTAssertEqual(groupedEnd.rounds.count, 3)
        for round in groupedEnd.rounds {
            XCTAssertGreaterThanOrEqual(round.updatesReceived, 2, "\(round)")
        }
        let groupedVersions = try await admin.versions(model: "flaky").filter { $0.lineage.runId == grouped.id }
        XCTAssertEqual(groupedVersions.count, 3)
    }
}
