/// One dense layer of an int8 model: per-output-channel int8 weights, float bias, and the static
/// input scale when activations were calibrated.
///
/// Exists as the unit the quantizer produces, the bundle serialises and the runtime packs; the float
/// output is `act(s_in · s_w[n] · Σ_k q_in[k]·q_w[n][k] + b[n])`.
public struct Int8Layer: Sendable, Equatable {
    /// Weights `[outputs, inputs]`, symmetric per output channel.
    public var weight: PerChannelInt8
    /// Float bias, one per output.
    public var bias: [Float]
    /// Scale of this layer's int8 input when static (calibrated); `nil` means a per-row scale is
    /// computed at run time (dynamic).
    public var inputScale: Float?

    /// Number of inputs (`k`).
    public var inputs: Int { weight.columns }
    /// Number of outputs (`n`).
    public var outputs: Int { weight.rows }

    public init(weight: PerChannelInt8, bias: [Float], inputScale: Float?) {
        precondition(bias.count == weight.rows, "one bias per output channel")
        self.weight = weight
        self.bias = bias
        self.inputScale = inputScale
    }
}
