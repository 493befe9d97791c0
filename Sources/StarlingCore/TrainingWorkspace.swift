/// The memory one training step writes and the next step can write again: a layer network's
/// activations, the deltas of its backward pass and its convolutions' unfolded gradients.
///
/// A training loop makes one and hands it to every step, so that from the second step on a step
/// allocates none of these buffers. Fresh allocations of their size are mapped pages the kernel
/// zero-fills on first touch, which took a third of a convolutional network's training step (and
/// more on a device whose allocator returns large blocks to the system at once). The workspace holds
/// one step's buffers until the loop drops it, and serves one step at a time.
public final class TrainingWorkspace {
    /// The last step's forward pass, its aliases released (see ``LayerNetwork/ForwardPass``).
    var pass: LayerNetwork.ForwardPass?
    /// The last step's deltas, one per layer output, aliases released.
    var deltas: [[Float]] = []
    /// The unfolded gradient of a convolution's input, before it is folded back.
    var columnScratch: [Float] = []

    public init() {}
}
