/// Why a local training run stopped early: its loss or its parameters stopped being finite numbers, or the
/// loss exploded past ``lossLimit``.
///
/// A diverged run's model holds NaN, infinities or the last steps of a blow-up, so averaging it in would spoil
/// the global model: the client sends no update for the round (and should report this instead), and the
/// operator lowers the learning rate or turns on gradient clipping. A finite loss counts only beyond
/// ``lossLimit``: a mean cross-entropy that large means the true classes got probabilities below e^−10000,
/// which no usable model gives, while softmax keeps such a run's loss finite for ever.
public struct Divergence: Codable, Sendable, Equatable, CustomStringConvertible {
    /// The step (1-based over the whole run) whose loss was not finite, or the last step before parameters were
    /// found not finite.
    public var step: Int
    /// The epoch (1-based) it happened in.
    public var epoch: Int
    /// One sentence, e.g. "the mini-batch loss became NaN at step 12 (epoch 2)".
    public var reason: String

    /// The largest mean mini-batch cross-entropy, in nats, that a training run may reach.
    public static let lossLimit: Float = 10_000

    public init(step: Int, epoch: Int, reason: String) {
        self.step = step
        self.epoch = epoch
        self.reason = reason
    }

    /// The batch loss of `step` was `loss`: NaN, infinite, or beyond ``lossLimit``.
    static func loss(_ loss: Float, step: Int, epoch: Int) -> Divergence {
        let what = loss.isFinite ? "exploded to \(loss), past the limit of \(lossLimit)" : "became \(name(loss))"
        return Divergence(
            step: step, epoch: epoch, reason: "the mini-batch loss \(what) at step \(step) (epoch \(epoch))")
    }

    /// Parameter `index` was `value` at the end of `epoch`, after `step` steps.
    static func parameter(_ index: Int, value: Float, step: Int, epoch: Int) -> Divergence {
        Divergence(
            step: step, epoch: epoch,
            reason: "parameter \(index) became \(name(value)) by the end of epoch \(epoch) (after step \(step))")
    }

    /// "NaN", "+Inf" or "-Inf" (Swift would print a negative NaN as "-nan").
    private static func name(_ value: Float) -> String {
        value.isNaN ? "NaN" : value > 0 ? "+Inf" : "-Inf"
    }

    public var description: String { "Training diverged: \(reason)." }
}
