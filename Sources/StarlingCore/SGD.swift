/// Stochastic gradient descent with heavy-ball momentum: v ← μ·v + g, p ← p − η·v.
///
/// Holds the velocity between steps so local training on an agent is a plain loop of
/// `lossAndGradient` and `step`.
public struct SGD: Sendable, Equatable {
    /// Step size η.
    public var learningRate: Float
    /// Momentum coefficient μ (0 gives plain SGD).
    public var momentum: Float
    /// Velocity v, one entry per parameter; starts at zero.
    public private(set) var velocity: [Float]

    public init(learningRate: Float, momentum: Float, parameterCount: Int) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.velocity = [Float](repeating: 0, count: parameterCount)
    }

    /// One update: v ← μ·v + g, then p ← p − η·v.
    public mutating func step(parameters: inout [Float], gradient: [Float]) {
        precondition(
            parameters.count == velocity.count && gradient.count == velocity.count,
            "SGD was built for \(velocity.count) parameters, got \(parameters.count) parameters and \(gradient.count) gradients"
        )
        let mu = momentum
        let eta = learningRate
        velocity.withUnsafeMutableBufferPointer { v in
            gradient.withUnsafeBufferPointer { g in
                parameters.withUnsafeMutableBufferPointer { p in
                    for i in v.indices {
                        v[i] = mu * v[i] + g[i]
                        p[i] -= eta * v[i]
                    }
                }
            }
        }
    }

    /// Forgets the accumulated velocity.
    public mutating func resetVelocity() {
        velocity = [Float](repeating: 0, count: velocity.count)
    }
}
