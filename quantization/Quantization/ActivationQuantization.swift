/// How an int8 model scales the activations entering each layer.
///
/// Dynamic scaling adapts to every input row at run time (no calibration, robust to unusual inputs);
/// static scaling fixes one scale per layer from calibration data, saving the per-row max search.
public enum ActivationQuantization: String, Sendable, Equatable {
    /// Per-row scale `max|x| / 127` computed at run time; stored as "dynamic".
    case dynamic = "dynamic"
    /// One calibrated scale per layer input; stored as "static".
    case calibrated = "static"
}
