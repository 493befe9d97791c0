import StarlingProtocol

/// The bound on every count a device reports about itself (training samples, held-out samples):
/// a count is refused above it when it is admitted, so no sum of admitted counts over any cohort
/// can overflow, and a device's weight in a federated mean is capped at
/// ``SecureMetricsLayout/weightCap`` whether the round is plain or secure.
enum DeviceCounts {
    /// Most samples one device may report in one upload (2^30).
    static let maximum = 1 << 30

    /// The weight a device with `samples` training samples carries in a plain weighted mean: its
    /// count up to the cap, as under SecAgg+, so that a plain round and a secure one over the same
    /// updates give the same model.
    static func weight(_ samples: Int) -> Int { min(max(samples, 0), SecureMetricsLayout.weightCap) }
}
