/// What the devices of one fleet simulation share: the base weights they download once, who
/// vanishes when, and the turns at masking and sending that keep a process of thousands of devices
/// from holding every masked vector at once.
struct FleetCommons: Sendable {
    let weights: SharedWeights
    let dropout: SimulatedDropout
    let maskingTurns: MaskedInputTurns
}
