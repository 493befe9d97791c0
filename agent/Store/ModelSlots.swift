/// The two model versions the agent keeps, so it can go back without the network: the one it runs
/// (`active`) and the one it ran before (`previous`). Changing them is one value in, one value out;
/// the store records the new pair in one transaction.
struct ModelSlots: Sendable, Equatable {
    var active: InstalledModelRecord?
    var previous: InstalledModelRecord?

    static let empty = ModelSlots(active: nil, previous: nil)

    /// Both records, active first.
    var records: [InstalledModelRecord] { [active, previous].compactMap { $0 } }

    /// After installing `model`: it is active, and the version active until now becomes previous
    /// (unless it is `model` itself, when nothing changes).
    func installing(_ model: InstalledModelRecord) -> ModelSlots {
        active == model ? self : ModelSlots(active: model, previous: active)
    }

    /// The slots exchanged: going back to the previous version keeps the one it replaces.
    var rolledBack: ModelSlots { ModelSlots(active: previous, previous: active) }
}
