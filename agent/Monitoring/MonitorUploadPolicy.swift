import StarlingProtocol
import Synchronization

/// How this device's monitor windows reach the aggregator, as its desired state last said: sent
/// one by one, or kept for monitor runs that add them up under SecAgg+.
public final class MonitorUploadPolicy: Sendable {
    private let current = Mutex(MonitorUploadMode.perDevice)

    public init() {}

    public var mode: MonitorUploadMode { current.withLock { $0 } }

    func set(_ mode: MonitorUploadMode) { current.withLock { $0 = mode } }
}
