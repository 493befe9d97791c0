import Foundation

/// A device an admin revoked: still listed, with when and why, but refused on the device listener
/// and left out of rounds and rollouts.
struct RevokedDevice: Sendable, Equatable {
    let device: Device
    let revokedAt: Date
    let reason: String?
}
