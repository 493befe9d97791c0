import StarlingCore
import Synchronization

/// The model predictions use right now. Swapped in one step, so every request sees either the old
/// model or the new one, never a mix. It also keeps the manifest of the model it replaced, so the
/// monitor can still score the drift of that version's windows.
public final class ModelSlot: Sendable {
    private let current: Mutex<(model: InstalledModel?, replaced: (tag: String, manifest: ModelManifest)?)>

    public init(_ model: InstalledModel? = nil) {
        current = Mutex((model, nil))
    }

    public var model: InstalledModel? {
        current.withLock { $0.model }
    }

    /// Replaces the model atomically.
    public func install(_ model: InstalledModel) {
        current.withLock { slot in
            if let old = slot.model, old.tag != model.tag { slot.replaced = (old.tag, old.manifest) }
            slot.model = model
        }
    }

    /// The manifest of version `tag` (`name@version`) when it is the model in the slot or the one it
    /// replaced since the agent started.
    public func manifest(of tag: String) -> ModelManifest? {
        current.withLock { slot in
            if let model = slot.model, model.tag == tag { return model.manifest }
            return slot.replaced.flatMap { $0.tag == tag ? $0.manifest : nil }
        }
    }
}
