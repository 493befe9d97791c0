/// The two artifacts every registered version has: the fp32 bundle that training and phase two use,
/// and the int8 bundle quantized from it that devices answer phase one with.
///
/// The weights endpoints take it as `?format=fp32|int8` (default `fp32`); each format has its own
/// SHA-256 in ``ModelVersionInfo`` and ``DesiredModel``.
public enum ArtifactFormat: String, Codable, Sendable, CaseIterable {
    case fp32, int8

    /// The query parameter that selects a format on the weights endpoints.
    public static let queryName = "format"

    /// The query suffix of a weights path: empty for the default fp32.
    var query: String { self == .fp32 ? "" : "?\(Self.queryName)=\(rawValue)" }
}
