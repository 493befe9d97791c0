/// The terms `Trainer` adds to each mini-batch gradient of the cross-entropy, and the clipping it applies after
/// them, as `TrainingConfig` asks:
///
///     g ← ∇L(w) + λ·W + μ·(w − w_global),   then   g ← g · min(1, C/‖g‖₂)
///
/// λ·W is the gradient of the L2 penalty (λ/2)‖W‖² on the weight matrices only (biases are not shrunk, as is
/// usual: they do not add to the model's capacity). μ·(w − w_global) is the gradient of FedProx's proximal term
/// (μ/2)‖w − w_global‖² over all parameters, w_global being the parameters the run started from: Li, Sahu,
/// Zaheer, Sanjabi, Talwalkar & Smith, "Federated Optimization in Heterogeneous Networks", MLSys 2020. Clipping
/// the whole gradient, penalties included, bounds each plain SGD step to η·C.
struct LocalObjective {
    /// λ.
    let weightDecay: Float
    /// Where the weights are in the flat parameter vector.
    let weightRanges: [Range<Int>]
    /// μ.
    let proximalMu: Float
    /// w_global, the parameters at the start of the run; empty when μ = 0.
    let globalParameters: [Float]
    /// C.
    let clipNorm: Float?

    /// Nil when `config` asks for none of them, so the plain gradient is used untouched.
    init?(config: TrainingConfig, model: some TrainableModel) {
        guard config.weightDecay != 0 || config.proximalMu != 0 || config.gradientClipNorm != nil else { return nil }
        weightDecay = config.weightDecay
        weightRanges = model.weightRanges
        proximalMu = config.proximalMu
        globalParameters = config.proximalMu != 0 ? model.parameters : []
        clipNorm = config.gradientClipNorm
    }

    /// Turns the cross-entropy gradient `g` at `w` into the gradient of the whole objective, clipped.
    func adjust(_ g: inout [Float], at w: [Float]) {
        if weightDecay != 0 {
            for range in weightRanges {
                for i in range { g[i] += weightDecay * w[i] }
            }
        }
        if proximalMu != 0 {
            for i in g.indices { g[i] += proximalMu * (w[i] - globalParameters[i]) }
        }
        if let clipNorm {
            let norm = g.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            if norm > Double(clipNorm) {
                let scale = Float(Double(clipNorm) / norm)
                for i in g.indices { g[i] *= scale }
            }
        }
    }
}
