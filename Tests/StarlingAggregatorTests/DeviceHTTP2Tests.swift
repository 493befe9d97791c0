import AsyncHTTPClient
import Foundation
import NIOCore
import StarlingProtocol
import StarlingTestSupport
import StarlingTransport
import XCTest

@testable import StarlingAggregator

/// With `--device-http2` the device listener speaks HTTP/2 to agents, which offer it: a device's
/// held watch and its other calls share one connection, so a fleet costs the aggregator one
/// descriptor a device; a stream whose body stalls is reset at the body deadline while the
/// connection and its other streams go on. Without it, and to clients that offer only HTTP/1.1,
/// the listener answers HTTP/1.1.
final class DeviceHTTP2Tests: XCTestCase {
    func test_aHeldWatchAndAnotherCall_shareOneConnection() async throws {
        let aggregator = try await TestAggregator.start(deviceHTTP2: true)
        let port = try Self.port(of: aggregator.endpoints.deviceUrl)
        let device = try await aggregator.enroll()
        do {
            let state = try await device.watch()
            let held = Task { try await device.watch(revision: state.revision, wait: 30) }
            try await Wait.until("the watch to be held", timeout: .seconds(10)) {
                await aggregator.broadcasterWaiters == 1 ? true : nil
            }
            let answered = try await device.watch(sampleCount: 7)
            XCTAssertEqual(answered.revision, state.revision)
            let waiters = await aggregator.broadcasterWaiters
            XCTAssertGreaterThanOrEqual(waiters, 1, "the first watch is still held")
            XCTAssertEqual(try Self.connections(toPort: port), 1, "both calls went over one connection")
            held.cancel()
            _ = try? await held.value
        } catch {
            XCTFail("\(error)")
        }
        await device.client.shutdown()
        try await aggregator.stop()
    }

    func test_aStreamWhoseBodyStalls_isResetAtTheBodyDeadline_andTheConnectionGoesOn() async throws {
        let limits = ConnectionLimits(
            firstRequestSeconds: 30, idleSeconds: 30, bodyReadSeconds: 1, maximumConnections: 64)
        let aggregator = try await TestAggregator.start(connectionLimits: limits, deviceHTTP2: true)
        let port = try Self.port(of: aggregator.endpoints.deviceUrl)
        let device = try await aggregator.enroll()
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(
                tlsConfiguration: try TLSConfigurations.client(trusting: aggregator.caPEM, identity: device.identity)))
        do {
            try await stallOneStream(of: client, aggregator: aggregator, port: port)
        } catch {
            XCTFail("\(error)")
        }
        try await client.shutdown()
        await device.client.shutdown()
        try await aggregator.stop()
    }

    /// Watches, sends a watch whose body stops after a few bytes, and watches again, all on `client`.
    private func stallOneStream(of client: HTTPClient, aggregator: TestAggregator, port: Int) async throws {
        let watch = Self.watch(at: aggregator, sampleCount: 3)
        let first = try await client.execute(watch, timeout: .seconds(30))
        XCTAssertEqual(first.status, .ok)
        XCTAssertEqual(first.version, .http2)
        _ = try await first.body.collect(upTo: 1 << 20)

        let (parts, feed) = AsyncStream<ByteBuffer>.makeStream()
        feed.yield(ByteBuffer(string: #"{"revision":"#))
        var stalled = watch
        stalled.body = .stream(parts, length: .known(Int64(100)))
        do {
            let response = try await client.execute(stalled, timeout: .seconds(60))
            _ = try await response.body.collect(upTo: 1 << 20)
            XCTFail("a body that stalled was answered \(response.status)")
        } catch let error as HTTPClientError where error == .deadlineExceeded {
            XCTFail("the aggregator kept the stalled stream open until the client gave up")
        } catch {
            // Reset by the aggregator at its body deadline.
        }
        feed.finish()

        let after = try await client.execute(watch, timeout: .seconds(30))
        XCTAssertEqual(after.status, .ok, "the connection outlives the stream that was reset")
        _ = try await after.body.collect(upTo: 1 << 20)
        XCTAssertEqual(try Self.connections(toPort: port), 1)
    }

    func test_aDeviceOfferingOnlyHTTP1_isServedAsBefore() async throws {
        try await watchOverHTTP1(listenerOffersHTTP2: true, clientOffersHTTP2: false)
    }

    func test_byDefault_theListenerAnswersHTTP1_toAClientThatOffersHTTP2() async throws {
        try await watchOverHTTP1(listenerOffersHTTP2: false, clientOffersHTTP2: true)
    }

    /// A watch that must be answered over HTTP/1.1 and taken as the device's.
    private func watchOverHTTP1(listenerOffersHTTP2: Bool, clientOffersHTTP2: Bool) async throws {
        let aggregator = try await TestAggregator.start(deviceHTTP2: listenerOffersHTTP2)
        let device = try await aggregator.enroll()
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: try TLSConfigurations.client(trusting: aggregator.caPEM, identity: device.identity))
        configuration.httpVersion = clientOffersHTTP2 ? .automatic : .http1Only
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let response = try await client.execute(Self.watch(at: aggregator, sampleCount: 42), timeout: .seconds(30))
            XCTAssertEqual(response.status, .ok)
            XCTAssertEqual(response.version, .http1_1)
            _ = try await response.body.collect(upTo: 1 << 20)
            let devices: DeviceList = try await aggregator.admin.get(APIPath.adminDevices)
            XCTAssertEqual(devices.devices.first?.sampleCount, 42, "the watch was taken as the device's")
        } catch {
            XCTFail("\(error)")
        }
        try await client.shutdown()
        await device.client.shutdown()
        try await aggregator.stop()
    }

    /// A watch answered at once, reporting `sampleCount` samples.
    private static func watch(at aggregator: TestAggregator, sampleCount: Int) -> HTTPClientRequest {
        var watch = HTTPClientRequest(url: aggregator.endpoints.deviceUrl + APIPath.deviceWatch)
        watch.method = .POST
        watch.headers.add(name: "Content-Type", value: "application/json")
        watch.body = .bytes(ByteBuffer(string: #"{"revision":"","sampleCount":\#(sampleCount),"waitSeconds":0}"#))
        return watch
    }

    private static func port(of url: String) throws -> Int {
        try XCTUnwrap(URLComponents(string: url)?.port)
    }

    /// Established TCP connections on loopback whose far end is `port`: the client ends of the
    /// connections to one listener. The kernel's table is read to its end (it is longer than the one
    /// read that a file of no size gets).
    private static func connections(toPort port: Int) throws -> Int {
        let file = try XCTUnwrap(FileHandle(forReadingAtPath: "/proc/net/tcp"))
        defer { try? file.close() }
        var bytes = Data()
        while let chunk = try file.read(upToCount: 1 << 16), !chunk.isEmpty { bytes += chunk }
        let table = String(decoding: bytes, as: UTF8.self)
        return table.split(separator: "\n").dropFirst().filter { line in
            let fields = line.split(separator: " ")
            guard fields.count > 3 else { return false }
            let remote = fields[2].split(separator: ":")
            return fields[3] == "01" && remote.count == 2 && Int(remote[1], radix: 16) == port
        }.count
    }
}
