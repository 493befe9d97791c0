import Foundation
import Hummingbird
import StarlingCore
import StarlingProtocol

/// The aggregator's side of monitoring: devices' windows taken in (validated against the version
/// they name) and the fleet's view of a model for operators.
struct FleetMonitoring: Sendable {
    let store: MonitorStore
    let catalog: ModelCatalog
    let shapes: VersionShapes
    let clock: @Sendable () -> Date

    /// Keeps an enrolled device's windows, all or none.
    func upload(_ upload: MonitorUpload, device: String) async throws(APIError) -> MonitorUploadReceipt {
        let validator = MonitorUploadValidator { [shapes] tag throws(APIError) in
            guard let parsed = VersionTag(tag), parsed.version >= 1 else {
                throw .badRequest(
                    .invalidMonitor, "The monitor upload is refused: '\(tag.prefix(64))' is not name@version.")
            }
            let shape = try await shapes.shape(model: parsed.model, version: parsed.version)
            return (parsed.model, parsed.version, shape.labels, shape.bins)
        }
        let now = clock()
        let windows = try await validator.validate(upload, now: now)
        try await store.insert(windows.map { ($0.0, $0.1, $0.2) }, device: device, now: now)
        return MonitorUploadReceipt(accepted: windows.count)
    }

    /// The fleet's monitors of `model` over the last `seconds`, for one version or all.
    func report(model: String, version: Int?, seconds: Double) async throws(APIError) -> FleetMonitorReport {
        let versions = try await catalog.versions(of: model).versions.map(\.version)
        if let version, !versions.contains(version) {
            throw .notFound(.versionNotFound, "model '\(model)' has no version \(version)")
        }
        let now = clock()
        var references: [Int: DriftReference] = [:]
        for number in try await store.versions(model: model, since: now.timeIntervalSince1970 - seconds)
        where version == nil || version == number {
            references[number] = try await shapes.shape(model: model, version: number).drift
        }
        return try await store.report(
            model: model, version: version, seconds: seconds, now: now, references: references)
    }

    /// Each device's figures of `model`@`version` over the last `seconds`.
    func deviceFigures(model: String, version: Int, seconds: Double) async throws(APIError)
        -> [String: MonitorReport.Version]
    {
        let reference = try await shapes.shape(model: model, version: version).drift
        return try await store.deviceFigures(
            model: model, version: version, seconds: seconds, now: clock(), reference: reference)
    }

    /// `?version=V&window=S` of the admin route: a positive version, and 60 s to 30 days (default
    /// an hour).
    static func query(_ request: Request) throws(APIError) -> (version: Int?, seconds: Double) {
        let parameters = request.uri.queryParameters
        let version = try parameters.get("version").map { text throws(APIError) in
            guard let version = Int(text), version >= 1 else {
                throw APIError.badRequest(.invalidVersion, "version must be a positive integer, not '\(text)'")
            }
            return version
        }
        var seconds = 3600.0
        if let text = parameters.get("window") {
            guard let parsed = Double(text), MonitorReport.spanSeconds.contains(parsed) else {
                throw APIError.badRequest(.invalidRequest, "window must be 60 to 2592000 seconds, not '\(text)'")
            }
            seconds = parsed
        }
        return (version, seconds)
    }
}
