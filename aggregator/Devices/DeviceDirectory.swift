import Foundation
import StarlingStorage
import Synchronization

/// The enrolled devices, in memory. Every request on the device listener names its device, every
/// watch records a heartbeat, and rounds and rollouts list the fleet on each tick; none of that
/// reads the database. Loaded once at start-up, added to when an enrollment commits, and a device
/// moves from the active ones to the revoked ones when its revocation commits. A heartbeat changes
/// the device here at once and is marked unsaved; ``takeUnsaved()`` hands the changed devices to
/// the writer that stores many heartbeats in one transaction.
final class DeviceDirectory: Sendable {
    private struct State {
        var devices: [String: Device] = [:]
        /// Enrollment order: by time, then id.
        var order: [Place] = []
        var unsaved: Set<String> = []
        var revoked: [String: RevokedDevice] = [:]
    }

    private struct Place: Comparable {
        let enrolledAt: Date
        let id: String

        init(_ device: Device) {
            enrolledAt = device.enrolledAt
            id = device.id
        }

        static func < (lhs: Place, rhs: Place) -> Bool { (lhs.enrolledAt, lhs.id) < (rhs.enrolledAt, rhs.id) }
    }

    private let state: Mutex<State>

    /// A directory of active `devices` and `revoked` ones, in any order.
    init(_ devices: [Device], revoked: [RevokedDevice] = []) {
        var state = State()
        for device in devices { state.devices[device.id] = device }
        state.order = state.devices.values.map(Place.init).sorted()
        for entry in revoked { state.revoked[entry.device.id] = entry }
        self.state = Mutex(state)
    }

    /// The devices stored in `engine`.
    static func load(from engine: any StorageEngine) throws -> DeviceDirectory {
        let records = try engine.readBlocking { db in try db.fetchAll(DeviceRecord.self, "SELECT * FROM devices") }
        return DeviceDirectory(
            records.filter { !$0.revoked }.map(Device.init),
            revoked: records.filter(\.revoked).map { record in
                RevokedDevice(
                    device: Device(record), revokedAt: record.revokedAt ?? record.enrolledAt,
                    reason: record.revocationReason)
            })
    }

    /// Takes every device as `engine` stores it now (enrolled or revoked through another replica),
    /// keeping this process's unsaved heartbeats of devices still active.
    func reload(from engine: any StorageEngine) throws {
        let stored = try Self.load(from: engine).state.withLock { $0 }
        state.withLock { state in
            var fresh = stored
            for id in state.unsaved {
                guard let device = state.devices[id], fresh.devices[id] != nil else { continue }
                fresh.devices[id] = device
                fresh.unsaved.insert(id)
            }
            state = fresh
        }
    }

    /// The revocation of the device with this id, if an admin revoked it.
    func revocation(id: String) -> RevokedDevice? {
        state.withLock { $0.revoked[id] }
    }

    /// Every revoked device, in no particular order.
    func revokedDevices() -> [RevokedDevice] {
        state.withLock { Array($0.revoked.values) }
    }

    /// Moves an active device to the revoked ones once its revocation has committed; from then on
    /// ``device(id:)`` and ``all()`` leave it out. Returns the revocation, nil if the id is not active.
    @discardableResult
    func revoke(id: String, at time: Date, reason: String?) -> RevokedDevice? {
        state.withLock { state in
            guard let device = state.devices.removeValue(forKey: id) else { return nil }
            state.order.removeAll { $0.id == id }
            state.unsaved.remove(id)
            let entry = RevokedDevice(device: device, revokedAt: time, reason: reason)
            state.revoked[id] = entry
            return entry
        }
    }

    /// The device with this id, if it is active.
    func device(id: String) -> Device? {
        state.withLock { $0.devices[id] }
    }

    /// Every active device, oldest enrollment first.
    func all() -> [Device] {
        state.withLock { state in state.order.compactMap { state.devices[$0.id] } }
    }

    /// Adds a device whose enrollment has committed.
    func add(_ device: Device) {
        state.withLock { state in
            guard state.devices[device.id] == nil else { return }
            state.devices[device.id] = device
            let place = Place(device)
            // Enrollments come in time order; a clock step back is the rare case that searches.
            let appends = state.order.last.map { $0 < place } ?? true
            let index = appends ? state.order.endIndex : state.order.firstIndex { $0 > place } ?? state.order.endIndex
            state.order.insert(place, at: index)
        }
    }

    /// Records a watch from `id` at `now`; false if the device is not active.
    @discardableResult
    func heartbeat(id: String, at now: Date, sampleCount: Int, runningModel: String?) -> Bool {
        state.withLock { state in
            guard state.devices[id] != nil else { return false }
            state.devices[id]?.lastSeen = now
            state.devices[id]?.sampleCount = max(sampleCount, 0)
            state.devices[id]?.runningModel = runningModel
            state.unsaved.insert(id)
            return true
        }
    }

    /// Records that `id` runs `model` now (it reported an install or a rollback), until its next
    /// heartbeat says otherwise.
    func running(_ model: String, id: String) {
        state.withLock { state in
            guard state.devices[id] != nil else { return }
            state.devices[id]?.runningModel = model
            state.unsaved.insert(id)
        }
    }

    /// The devices with heartbeats not yet stored, which from now on count as stored.
    func takeUnsaved() -> [Device] {
        state.withLock { state in
            let ids = state.unsaved
            state.unsaved.removeAll()
            return ids.compactMap { state.devices[$0] }
        }
    }

    /// Marks devices whose heartbeats could not be stored as unsaved again.
    func restoreUnsaved(_ devices: [Device]) {
        state.withLock { state in state.unsaved.formUnion(devices.map(\.id)) }
    }
}
