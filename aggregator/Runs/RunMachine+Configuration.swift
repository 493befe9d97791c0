extension RunMachine.Configuration {
    /// Whether the run aggregates under SecAgg+.
    var isSecure: Bool { secureStageSeconds != nil }

    /// Whether the run aggregates buffers of updates as they come (FedBuff) instead of rounds.
    var isBuffered: Bool { buffering != nil }
}
