/// A device's closed monitor windows, sent to the aggregator (`POST /v1/device/monitor`).
public struct MonitorUpload: Codable, Sendable {
    /// The most windows one upload may hold.
    public static let maximumWindows = 288

    public var windows: [MonitorWindow]

    public init(windows: [MonitorWindow]) { self.windows = windows }
}

/// How many windows of an upload the aggregator kept.
public struct MonitorUploadReceipt: Codable, Sendable, Equatable {
    public var accepted: Int

    public init(accepted: Int) { self.accepted = accepted }
}

/// The fleet's monitors of one model over a span (`GET /v1/admin/models/{name}/monitor`): per
/// version, the devices' windows added up, over the whole span and window by window.
public struct FleetMonitorReport: Codable, Sendable, Equatable {
    /// One version's figures.
    public struct Version: Codable, Sendable, Equatable {
        public var version: Int
        /// Devices that sent windows in the span.
        public var devices: Int
        /// The span's windows added up.
        public var total: MonitorReport.Version
        /// Window by window, oldest first.
        public var points: [Point]

        public init(version: Int, devices: Int, total: MonitorReport.Version, points: [Point]) {
            self.version = version
            self.devices = devices
            self.total = total
            self.points = points
        }
    }

    /// One window start's figures over the devices that sent it.
    public struct Point: Codable, Sendable, Equatable {
        public var devices: Int
        public var figures: MonitorReport.Version

        public init(devices: Int, figures: MonitorReport.Version) {
            self.devices = devices
            self.figures = figures
        }
    }

    public var model: String
    public var windowSeconds: Double
    public var versions: [Version]

    public init(model: String, windowSeconds: Double, versions: [Version]) {
        self.model = model
        self.windowSeconds = windowSeconds
        self.versions = versions
    }
}
