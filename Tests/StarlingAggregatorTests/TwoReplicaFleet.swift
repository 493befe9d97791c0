import StarlingCore
import StarlingProtocol
import StarlingTestSupport
import XCTest

@testable import StarlingAggregator

/// Two replicas sharing one PostgreSQL schema, the first leading, with the model "secret"
/// (4-3-2) and six devices enrolled alternately on the leader (even indices) and on the replica
/// that does not lead (odd ones), each watching with 30 samples: where the secure-round tests
/// across replicas start.
struct TwoReplicaFleet {
    let schema: PostgreSQLTestSchema
    let leader: TestAggregator
    let follower: TestAggregator
    /// Version 1 of "secret".
    let base: ModelBundle
    let devices: [TestDevice]

    static func start() async throws -> TwoReplicaFleet {
        let schema = try PostgreSQLTestSchema()
        let leader = try await TestAggregator.start(databaseURL: schema.url)
        let follower = try await TestAggregator.start(folder: try leader.replicaFolder(), databaseURL: schema.url)
        let _: ModelVersionInfo = try await leader.admin.post(
            APIPath.adminModels, json: CreateModelRequest(name: "secret", architecture: "4-3-2", seed: 7))
        let base = try ModelBundle(
            decoding: try await leader.admin.getBytes(APIPath.adminWeights(model: "secret", version: 1)))
        var devices: [TestDevice] = []
        for index in 0..<6 { devices.append(try await (index % 2 == 0 ? leader : follower).enroll()) }
        for device in devices { _ = try await device.watch(sampleCount: 30) }
        return TwoReplicaFleet(schema: schema, leader: leader, follower: follower, base: base, devices: devices)
    }

    func stop() async throws {
        for device in devices { await device.client.shutdown() }
        try await follower.stop()
        try await leader.stop()
        try await schema.drop()
    }
}
