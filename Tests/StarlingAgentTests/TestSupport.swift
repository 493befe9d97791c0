import Foundation
import Logging
import NIOCore
import NIOPosix
import Quantization
import StarlingCore
import XCTest

@testable import StarlingAgent

/// A fresh directory under the system's temporary folder; the caller removes it.
func makeFreshDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("starling-agent-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

extension XCTestCase {
    /// A fresh directory under the system's temporary folder, removed when the test ends.
    func makeTemporaryDirectory() throws -> URL {
        let url = try makeFreshDirectory()
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}

let testLogger = Logger(label: "starling-agent-tests")

/// The worker threads of the installers and restores the tests make, for the whole test process.
let testWork = BlockingWork()

/// A two-feature, two-class logistic regression that is sure of (1, 0) → "a" and (0, 1) → "b",
/// and torn 50/50 on (1, 1); confidence threshold 0.8.
/// With `swapped`, the same model with its classes' weights exchanged: sure of (1, 0) → "b".
func makeToyBundle(version: Int = 3, swapped: Bool = false) throws -> ModelBundle {
    let architecture = try ModelArchitecture(layerSizes: [2, 2])
    let manifest = try ModelManifest(
        name: "toy", version: version, architecture: architecture, labels: ["a", "b"],
        preprocessing: .identity(featureCount: 2), confidenceThreshold: 0.8)
    // W = [[10, 0], [0, 10]] (swapped: [[0, 10], [10, 0]]), b = [0, 0]
    let weights: [Float] = swapped ? [0, 10, 10, 0] : [10, 0, 0, 10]
    let model = try MLP(architecture: architecture, parameters: weights + [0, 0])
    return try ModelBundle(manifest: manifest, model: .dense(model))
}

/// The int8 artifact the aggregator would serve for a bundle.
func makeInt8Artifact(_ bundle: ModelBundle) throws -> [UInt8] {
    try Int8Bundle(quantizing: bundle).encoded()
}

func makeToyModel() throws -> InstalledModel {
    let bundle = try makeToyBundle()
    let int8 = try makeInt8Artifact(bundle)
    return InstalledModel(
        int8: try Int8Bundle(decoding: int8), name: "toy", version: 3,
        sha256: ContentDigest.sha256Hex(bundle.encoded()),
        sha256Int8: ContentDigest.sha256Hex(int8))
}

/// A TCP server on 127.0.0.1 that accepts connections and never answers: a refiner that hangs.
func startSilentServer() async throws -> (port: Int, channel: any Channel) {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .childChannelInitializer { $0.eventLoop.makeSucceededVoidFuture() }
        .bind(host: "127.0.0.1", port: 0).get()
    return (channel.localAddress?.port ?? 0, channel)
}

/// A port on 127.0.0.1 on which nothing listens.
func closedPort() async throws -> Int {
    let (port, channel) = try await startSilentServer()
    try await channel.close()
    return port
}
