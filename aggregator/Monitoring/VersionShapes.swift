import StarlingCore
import StarlingProtocol

/// What monitoring needs of a version, its labels and drift reference, read from its bundle once:
/// versions never change, and every device's upload names the same few. Holds the most recently
/// used ``capacity`` versions.
actor VersionShapes {
    struct Shape: Sendable {
        var labels: [String]
        var drift: DriftReference?

        /// The drift reference's bins per feature; none without a reference.
        var bins: [Int] { drift.map { reference in (0..<reference.width).map(reference.binCount(feature:)) } ?? [] }
    }

    static let capacity = 64

    let catalog: ModelCatalog
    private var shapes: [VersionTag: Shape] = [:]
    private var used: [VersionTag] = []

    init(catalog: ModelCatalog) {
        self.catalog = catalog
    }

    /// The shape of `model`@`version`; 404 when the registry has no such version.
    func shape(model: String, version: Int) async throws(APIError) -> Shape {
        let tag = VersionTag(model: model, version: version)
        if let known = shapes[tag] {
            used.removeAll { $0 == tag }
            used.append(tag)
            return known
        }
        let manifest = try catalog.bundle(try await catalog.version(of: model, version)).manifest
        let shape = Shape(labels: manifest.labels, drift: manifest.drift)
        shapes[tag] = shape
        used.append(tag)
        if used.count > Self.capacity { shapes[used.removeFirst()] = nil }
        return shape
    }
}
