import Foundation

extension RunMachine {
    /// Feeds the machine the contributions and failure reports stored for its round, each as if it
    /// had just been accepted: what a restarted aggregator does with what it had stored, and what
    /// the leader does with what other replicas stored. Anything the machine has counted already
    /// changes nothing, so replaying the same reports again is harmless. Secure rounds' updates
    /// are not replayed: their masked inputs count only through the secure aggregation.
    mutating func replay(_ reports: StoredReports, at now: Date) -> [Action] {
        var actions: [Action] = []
        if isBuffered {
            for (device, staleness) in reports.updates {
                actions += bufferedContributionRestored(from: device, staleness: staleness, at: now)
            }
            return actions
        }
        if !isSecure {
            for (device, _) in reports.updates { actions += contributionStored(from: device, at: now).1 }
        }
        for (device, reason) in reports.failures { actions += clientFailed(device, reason: reason, at: now).1 }
        return actions
    }
}
