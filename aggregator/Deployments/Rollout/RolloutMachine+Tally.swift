import Foundation

extension RolloutMachine {
    /// What the machine would otherwise learn by scanning every target on each report: where each
    /// device sits in `devices`, how many are in each status, and how many pending devices were
    /// assigned at each moment (assignments come in batches, so there are few moments). It is derived
    /// from `devices` and never stored: rebuilt when the targets are replaced or the machine is
    /// decoded, and kept in step by every status change.
    struct Tally: Sendable, Equatable {
        private(set) var positions: [String: Int] = [:]
        private(set) var counts = Counts()
        private var pendingByAssignment: [TimeInterval: Int] = [:]

        /// The tally of `devices`, whose ids are unique.
        init(_ devices: [Device]) {
            positions.reserveCapacity(devices.count)
            for (index, device) in devices.enumerated() {
                positions[device.id] = index
                add(device)
            }
        }

        /// Counts `device` as it stands now.
        mutating func add(_ device: Device) { adjust(for: device, by: 1) }

        /// Stops counting `device` as it stands now.
        mutating func remove(_ device: Device) { adjust(for: device, by: -1) }

        /// Pending devices assigned at or before `cutoff` (seconds since the reference date); a pending
        /// device without an assignment time counts as assigned long ago.
        func pending(assignedAtOrBefore cutoff: TimeInterval) -> Int {
            pendingByAssignment.reduce(0) { sum, entry in entry.key <= cutoff ? sum + entry.value : sum }
        }

        private mutating func adjust(for device: Device, by delta: Int) {
            switch device.status {
            case .notAssigned: counts.notAssigned += delta
            case .pending:
                counts.pending += delta
                let moment = device.assignedAt ?? -.infinity
                let left = pendingByAssignment[moment, default: 0] + delta
                pendingByAssignment[moment] = left == 0 ? nil : left
            case .healthy: counts.healthy += delta
            case .failed: counts.failed += delta
            case .reverted: counts.reverted += delta
            }
        }
    }
}
