import Foundation
import GRDB
import StarlingProtocol

/// The enrolled devices: lookups by id (for mutual-TLS authentication), heartbeats from watches,
/// and the admin listing with each device's presence.
struct DeviceRegistry: Sendable {
    let pool: DatabasePool
    let presence: Presence
    let clock: @Sendable () -> Date

    /// The device with this id, unless unknown or revoked.
    func activeDevice(id: String) async throws(APIError) -> DeviceRecord? {
        try await pool.reading { db in
            try DeviceRecord.fetchOne(db, key: id).flatMap { $0.revoked ? nil : $0 }
        }
    }

    /// Every active device, oldest enrollment first.
    func activeDevices() async throws(APIError) -> [DeviceRecord] {
        try await pool.reading { db in
            try DeviceRecord.filter(Column("revoked") == false).order(Column("enrolledAt"), Column("id")).fetchAll(db)
        }
    }

    /// Records a watch's heartbeat.
    func heartbeat(id: String, sampleCount: Int, runningModel: String?) async throws(APIError) {
        let now = clock()
        try await pool.writing { db in
            try db.execute(
                sql: "UPDATE devices SET lastSeen = ?, sampleCount = ?, runningModel = ? WHERE id = ?",
                arguments: [now, max(sampleCount, 0), runningModel, id])
        }
    }

    /// The admin listing.
    func list() async throws(APIError) -> DeviceList {
        let now = clock()
        let devices = try await activeDevices()
        return DeviceList(devices: devices.map { device in
            DeviceInfo(
                id: device.id, tags: device.tags, enrolledAt: device.enrolledAt, lastSeen: device.lastSeen,
                online: presence.isOnline(device.id, at: now), sampleCount: device.sampleCount,
                runningModel: device.runningModel)
        })
    }
}
