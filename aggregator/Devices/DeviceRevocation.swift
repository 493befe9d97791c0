import Foundation
import StarlingProtocol
import StarlingStorage

/// Revoking a device: the row is marked revoked (with when and why) and committed first, so the
/// revocation survives a restart; then the device leaves the active directory, so the device
/// listener refuses its certificate with 403 `device_revoked` from its next request on, rollouts
/// drop it from their targets on their next tick, and every round waiting for it goes on without it
/// (``RunCoordinator/deviceRevoked(_:)``). Held watches are woken, so the device's open watch is
/// answered with the refusal at once.
struct DeviceRevocation: Sendable {
    let engine: any StorageEngine
    let devices: DeviceRegistry
    let runs: RunCoordinator
    let broadcaster: RevisionBroadcaster
    let clock: @Sendable () -> Date

    /// Revokes device `id`; revoking a revoked device changes nothing and answers as the first time
    /// did. 404 `device_not_found` for an unknown id, 400 `invalid_reason` for a reason too long or
    /// holding control characters.
    func revoke(id: String, _ request: RevokeDeviceRequest) async throws(APIError) -> DeviceInfo {
        let reason = request.reason?.trimmingCharacters(in: .whitespaces)
        if let reason {
            guard reason.count <= RevokeDeviceRequest.maximumReasonLength else {
                throw .badRequest(
                    .invalidReason,
                    "the reason may be at most \(RevokeDeviceRequest.maximumReasonLength) characters, "
                        + "and this one has \(reason.count)")
            }
            try ControlCharacters.refuse(in: reason, code: .invalidReason, naming: "a revocation reason")
        }
        if let earlier = devices.directory.revocation(id: id) { return DeviceRegistry.info(earlier) }
        let now = clock()
        let stored = reason?.isEmpty == false ? reason : nil
        try await engine.writing { db in
            guard var record = try db.fetchOne(DeviceRecord.self, key: id) else {
                throw APIError.notFound(.deviceNotFound, "there is no device with id '\(id.prefix(64))'")
            }
            guard !record.revoked else { return }
            record.revoked = true
            record.revokedAt = now
            record.revocationReason = stored
            try db.update(record)
        }
        let revoked = devices.directory.revoke(id: id, at: now, reason: stored)
        await runs.deviceRevoked(id)
        await broadcaster.bump()
        guard let revoked = revoked ?? devices.directory.revocation(id: id) else {
            throw .internal("the device \(id) was revoked but is missing from the directory")
        }
        return DeviceRegistry.info(revoked)
    }
}
