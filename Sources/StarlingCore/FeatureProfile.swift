/// The fleet's feature profile: per-feature statistics of a model's inputs, summed over devices
/// under secure aggregation, with each feature's summary and histogram.
///
/// Exists as the one reference for a model's inputs: a model's per-feature preprocessing is chosen
/// from it (``Preprocessing/auto(from:)``), and drift detection compares live inputs with its
/// histograms (``referenceBins(feature:count:)``). Stored in the registry and printed by
/// `starling stats show --json`, so its JSON is stable: histograms are sparse lists of
/// `[bucket index, count]` pairs on the profile's ``grid``. Decoding validates every field.
public struct FeatureProfile: Codable, Sendable, Equatable {
    /// The profile's name (usually the model's input schema).
    public var name: String
    /// Monotonic version of the profile under its name.
    public var version: Int
    /// Features per sample.
    public var width: Int
    /// Devices whose statistics were summed.
    public var devices: Int
    /// Samples (rows) over all devices.
    public var samples: Int
    /// The grid of the histograms.
    public var grid: LogBucketGrid
    /// One summary per feature.
    public var features: [FeatureSummary]
    /// One sparse histogram per feature: non-empty buckets in increasing index order.
    public var histograms: [[BucketCount]]

    /// The profile of `statistics`, the fleet sum of `devices` devices' statistics.
    public init(
        name: String, version: Int, statistics: FeatureStatistics, devices: Int
    ) throws(FeatureStatisticsError) {
        guard devices >= 1 else { throw .invalidProfile("a profile sums at least one device, not \(devices)") }
        self.name = name
        self.version = version
        width = statistics.width
        self.devices = devices
        samples = statistics.rows
        grid = statistics.grid
        features = (0..<statistics.width).map { FeatureSummary(statistics, feature: $0) }
        histograms = (0..<statistics.width).map { j in
            statistics.histogram(ofFeature: j).enumerated().compactMap { offset, count in
                count > 0 ? BucketCount(index: offset, count: count) : nil
            }
        }
        try validate()
    }

    /// Feature `j`'s histogram as a distribution.
    func distribution(feature j: Int) throws(FeatureStatisticsError) -> BucketDistribution {
        guard (0..<width).contains(j) else { throw .featureOutOfRange(feature: j, width: width) }
        return BucketDistribution(grid: grid, sparse: histograms[j])
    }

    private func validate() throws(FeatureStatisticsError) {
        guard width >= 0, features.count == width, histograms.count == width else {
            throw .invalidProfile("width \(width) with \(features.count) summaries and \(histograms.count) histograms")
        }
        guard devices >= 1, samples >= 0 else {
            throw .invalidProfile("\(devices) devices and \(samples) samples: need a device and no negative count")
        }
        for (j, (summary, histogram)) in zip(features, histograms).enumerated() {
            guard summary.isValid, summary.count + summary.rejected == samples else {
                throw .invalidProfile(
                    "feature \(j)'s summary is inconsistent or not finite (\(summary.count) values, \(samples) rows)")
            }
            var previous = -1
            var total = 0
            for entry in histogram {
                guard entry.index > previous, entry.index < grid.bucketCount, entry.count > 0 else {
                    throw .invalidProfile(
                        "feature \(j)'s histogram has bucket \(entry.index) with count \(entry.count), "
                            + "out of order or range")
                }
                previous = entry.index
                total += entry.count
            }
            guard total == summary.count else {
                throw .invalidProfile("feature \(j)'s histogram holds \(total) values, its summary \(summary.count)")
            }
        }
    }

    private enum CodingKeys: String, CodingKey {
        case name, version, width, devices, samples, grid, features, histograms
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        version = try container.decode(Int.self, forKey: .version)
        width = try container.decode(Int.self, forKey: .width)
        devices = try container.decode(Int.self, forKey: .devices)
        samples = try container.decode(Int.self, forKey: .samples)
        grid = try container.decode(LogBucketGrid.self, forKey: .grid)
        features = try container.decode([FeatureSummary].self, forKey: .features)
        histograms = try container.decode([[BucketCount]].self, forKey: .histograms)
        do {
            try validate()
        } catch {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }
}
