import Synchronization

/// The model predictions use right now. Swapped in one step, so every request sees either the old
/// model or the new one, never a mix.
public final class ModelSlot: Sendable {
    private let current: Mutex<InstalledModel?>

    public init(_ model: InstalledModel? = nil) {
        current = Mutex(model)
    }

    public var model: InstalledModel? {
        current.withLock { $0 }
    }

    /// Replaces the model atomically.
    public func install(_ model: InstalledModel) {
        current.withLock { $0 = model }
    }
}
