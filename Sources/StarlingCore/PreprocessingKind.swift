/// Which preprocessing to fit from a feature profile: one choice for every feature, or the automatic
/// per-feature choice. The raw values are what the CLI's `--preprocess` accepts.
///
/// Exists so an operator can override the automatic choice (``Preprocessing/auto(from:)``) when they
/// know their data better, without writing transforms by hand.
public enum PreprocessingKind: String, Codable, Sendable, CaseIterable {
    /// Per feature, the rules of ``Preprocessing/auto(from:)``.
    case auto
    /// Clipped z-score with a variance floor for every feature.
    case zscore
    /// Min–max to 0…1 from the profile's extremes for every feature.
    case minmax
    /// Clipped z-score on the log1p scale for every feature.
    case log1p
    /// No preprocessing.
    case identity
}
