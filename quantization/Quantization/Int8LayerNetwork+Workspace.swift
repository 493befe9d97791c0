internal import CStarlingInt8
import StarlingCore

extension Int8LayerNetwork {
    /// The buffers one run of a network on up to `maximumRows` examples needs, sized from its
    /// layout once: two float buffers the activations alternate between, the int8 input of a
    /// layer and its unfolded patches, int32 accumulators, the per-row scales and a fused group
    /// normalisation's per-channel sums.
    ///
    /// - Important: a workspace is mutable scratch; use one per thread (it is not `Sendable`).
    public final class Workspace {
        public let maximumRows: Int
        /// The network the buffers are sized for.
        let owner: ObjectIdentifier
        let floats: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>)
        let quantized: UnsafeMutablePointer<Int8>
        let unfolded: UnsafeMutablePointer<Int8>
        let accumulators: UnsafeMutablePointer<Int32>
        let rowScales: UnsafeMutablePointer<Float>
        let exampleScales: UnsafeMutablePointer<Float>
        let channelScratch: UnsafeMutableRawPointer

        public init(network: Int8LayerNetwork, maximumRows: Int) {
            precondition(maximumRows > 0, "maximumRows must be positive")
            self.maximumRows = maximumRows
            owner = ObjectIdentifier(network)
            let layout = network.layout
            var values = layout.inputSize
            var unfoldedSize = 1
            var positions = 1
            var channels = 1
            for placed in layout.layers {
                values = max(values, placed.input.count, placed.output.count)
                let outputPositions = placed.output.height * placed.output.width
                switch placed.layer {
                case .convolution(let layer):
                    unfoldedSize = max(unfoldedSize, outputPositions * layer.patchSize)
                    positions = max(positions, outputPositions)
                    channels = max(channels, placed.output.channels)
                case .depthwise:
                    positions = max(positions, outputPositions)
                    channels = max(channels, placed.output.channels)
                default: break
                }
            }
            floats = (.allocate(capacity: maximumRows * values), .allocate(capacity: maximumRows * values))
            quantized = .allocate(capacity: maximumRows * values)
            unfolded = .allocate(capacity: maximumRows * unfoldedSize)
            accumulators = .allocate(capacity: maximumRows * values)
            rowScales = .allocate(capacity: maximumRows * positions)
            exampleScales = .allocate(capacity: maximumRows)
            channelScratch = .allocate(
                byteCount: starling_i8_group_normalize_scratch_size(Int32(channels)), alignment: 8)
        }

        deinit {
            floats.0.deallocate()
            floats.1.deallocate()
            quantized.deallocate()
            unfolded.deallocate()
            accumulators.deallocate()
            rowScales.deallocate()
            exampleScales.deallocate()
            channelScratch.deallocate()
        }
    }
}
