import Foundation
import Synchronization

/// Who is online right now: a device counts as online while it holds a watch open or for
/// ``window`` after its last watch was answered. Kept in memory only, so after a restart every
/// device is offline until it watches again.
final class Presence: Sendable {
    /// How long after its last answered watch a device still counts as online.
    static let window: TimeInterval = 40

    /// How long after its last watch began a device another replica serves still counts as
    /// online here: that replica records when a watch begins, not while it is held, so a device
    /// counts for the longest hold and ``window`` after it. One that vanished while held elsewhere
    /// counts as much longer than one held here.
    static let elsewhereWindow: TimeInterval = DesiredStates.maximumWait + window

    private struct Entry {
        var openWatches = 0
        var lastAnswered: Date?
    }

    private let entries = Mutex<[String: Entry]>([:])

    /// A watch from `device` is now held.
    func watchOpened(_ device: String) {
        entries.withLock { $0[device, default: Entry()].openWatches += 1 }
    }

    /// A watch from `device` was answered at `now`.
    func watchAnswered(_ device: String, at now: Date) {
        entries.withLock { entries in
            entries[device, default: Entry()].openWatches -= 1
            entries[device, default: Entry()].lastAnswered = now
        }
    }

    /// Whether `device` is online at `now`.
    func isOnline(_ device: String, at now: Date) -> Bool {
        entries.withLock { entries in
            guard let entry = entries[device] else { return false }
            if entry.openWatches > 0 { return true }
            guard let last = entry.lastAnswered else { return false }
            return now.timeIntervalSince(last) < Self.window
        }
    }
}
