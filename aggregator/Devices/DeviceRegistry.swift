import Foundation
import NIOPosix
import StarlingProtocol
import StarlingStorage

/// The enrolled devices: lookups by id (for mutual-TLS authentication), heartbeats from watches,
/// and the admin listing with each device's presence or revocation. Reads come from the in-memory
/// ``DeviceDirectory``; heartbeats reach the database in batches through ``saveHeartbeats()``.
struct DeviceRegistry: Sendable {
    let engine: any StorageEngine
    let directory: DeviceDirectory
    let presence: Presence
    /// This process's name among replicas, stored with the heartbeats it takes.
    let replica: String
    let clock: @Sendable () -> Date

    /// The registry of the devices stored in `engine`.
    init(engine: any StorageEngine, presence: Presence, replica: String, clock: @escaping @Sendable () -> Date) throws {
        self.engine = engine
        self.directory = try DeviceDirectory.load(from: engine)
        self.presence = presence
        self.replica = replica
        self.clock = clock
    }

    /// Whether `device` is online at `now`: watching here (``Presence``), or seen by another
    /// replica sharing the database within ``Presence/elsewhereWindow``, as the last reload read it.
    func isOnline(_ device: Device, at now: Date) -> Bool {
        if presence.isOnline(device.id, at: now) { return true }
        guard engine.dialect == .postgresql, let seenBy = device.seenBy, seenBy != replica,
            let lastSeen = device.lastSeen
        else { return false }
        return now.timeIntervalSince(lastSeen) < Presence.elsewhereWindow
    }

    /// The device with this id as the database has it now, added to the directory: for a request
    /// from a device another replica enrolled since the directory was last reloaded. Nil when it
    /// is not enrolled or revoked.
    func enrolledElsewhere(id: String) async throws -> Device? {
        guard engine.dialect == .postgresql else { return nil }
        let record = try await engine.read { db in try db.fetchOne(DeviceRecord.self, key: id) }
        guard let record, !record.revoked else { return nil }
        let device = Device(record)
        directory.add(device)
        return directory.device(id: id)
    }

    /// Takes the devices as the database has them now; for a replica that becomes leader, which
    /// from then on takes the devices' traffic.
    func reload() async throws {
        let (directory, engine) = (directory, engine)
        try await NIOThreadPool.singleton.runIfActive { try directory.reload(from: engine) }
    }

    /// The device with this id, unless unknown or revoked.
    func activeDevice(id: String) -> Device? {
        directory.device(id: id)
    }

    /// Every active device, oldest enrollment first.
    func activeDevices() -> [Device] {
        directory.all()
    }

    /// Records a watch's heartbeat; it is stored with the next batch.
    func heartbeat(id: String, sampleCount: Int, runningModel: String?) {
        directory.heartbeat(id: id, at: clock(), sampleCount: sampleCount, runningModel: runningModel)
    }

    /// Records the model a device reported it switched to; stored with the next batch. Its watch is
    /// usually held open at the time, so the listing would otherwise show the old model until the
    /// device next watches.
    func switched(id: String, to model: String) {
        directory.running(model, id: id)
    }

    /// Stores every heartbeat recorded since the last call, in one transaction.
    func saveHeartbeats() async throws(APIError) {
        let changed = directory.takeUnsaved()
        guard !changed.isEmpty else { return }
        do {
            try await engine.writing { db in
                for device in changed {
                    try db.execute(
                        "UPDATE devices SET lastSeen = ?, sampleCount = ?, runningModel = ?, seenBy = ? WHERE id = ?",
                        device.lastSeen, device.sampleCount, device.runningModel, replica, device.id)
                }
            }
        } catch {
            directory.restoreUnsaved(changed)
            throw error
        }
    }

    /// The admin listing: active devices and revoked ones, oldest enrollment first.
    func list() -> DeviceList {
        let now = clock()
        let active = activeDevices().map { device in
            Self.info(device, online: isOnline(device, at: now))
        }
        let revoked = directory.revokedDevices().map(Self.info)
        let all = (active + revoked).sorted { ($0.enrolledAt, $0.id) < ($1.enrolledAt, $1.id) }
        return DeviceList(devices: all)
    }

    static func info(_ device: Device, online: Bool) -> DeviceInfo {
        DeviceInfo(
            id: device.id, tags: device.tags, enrolledAt: device.enrolledAt, lastSeen: device.lastSeen, online: online,
            sampleCount: device.sampleCount, runningModel: device.runningModel)
    }

    static func info(_ revoked: RevokedDevice) -> DeviceInfo {
        var info = info(revoked.device, online: false)
        info.revokedAt = revoked.revokedAt
        info.revocationReason = revoked.reason
        return info
    }
}
