#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The nonlinearity σ applied after every hidden layer of an `MLP`: A_{l+1} = σ(Z_l).
///
/// Exists so that models trained elsewhere (e.g. imported from ONNX with tanh or logistic hidden layers)
/// run with the activation they were trained with. One activation per network; the output layer is
/// always softmax. The raw value is the suffix of the architecture's text form ("64-32-10/tanh").
public enum HiddenActivation: String, Codable, Sendable, CaseIterable {
    /// σ(z) = max(z, 0); the default, written without a suffix ("64-32-10").
    case relu
    /// The logistic function σ(z) = 1 / (1 + e^(−z)).
    case sigmoid
    /// σ(z) = tanh(z).
    case tanh

    /// A ← σ(Z) elementwise, in place.
    func apply(_ z: UnsafeMutableBufferPointer<Float>) {
        switch self {
        case .relu:
            for index in z.indices where z[index] < 0 { z[index] = 0 }
        case .sigmoid:
            // exp(−z) overflows to +inf for very negative z, giving exactly 0: no NaN.
            for index in z.indices { z[index] = 1 / (1 + exp(-z[index])) }
        case .tanh:
            for index in z.indices { z[index] = tanhf(z[index]) }
        }
    }

    /// δ ← δ ⊙ σ'(Z), with σ' written in terms of the activation A = σ(Z):
    /// ReLU' = 1[A > 0], sigmoid' = A (1 − A), tanh' = 1 − A².
    func multiplyByDerivative(_ delta: UnsafeMutableBufferPointer<Float>, activations a: UnsafeBufferPointer<Float>) {
        precondition(delta.count == a.count, "delta and activations must have the same size")
        switch self {
        case .relu:
            for index in delta.indices where a[index] <= 0 { delta[index] = 0 }
        case .sigmoid:
            for index in delta.indices { delta[index] *= a[index] * (1 - a[index]) }
        case .tanh:
            for index in delta.indices { delta[index] *= 1 - a[index] * a[index] }
        }
    }
}
