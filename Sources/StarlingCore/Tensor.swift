/// A row-major float32 tensor: the unit in which model weights are named, stored and exchanged.
public struct Tensor: Sendable, Equatable {
    /// Dimension sizes, outermost first; `[]` is a scalar.
    public var shape: [Int]
    /// Elements in row-major order; `values.count == shape.product`.
    public var values: [Float]

    /// Wraps `values`; traps if the count does not match the shape (a programming error).
    public init(shape: [Int], values: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "tensor dimensions must be non-negative, got \(shape)")
        precondition(
            values.count == Tensor.elementCount(of: shape),
            "tensor of shape \(shape) needs \(Tensor.elementCount(of: shape)) values, got \(values.count)")
        self.shape = shape
        self.values = values
    }

    /// A tensor of the given shape filled with zeros.
    public static func zeros(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, values: [Float](repeating: 0, count: elementCount(of: shape)))
    }

    /// Number of elements (product of the dimensions; 1 for a scalar).
    public var count: Int { values.count }

    /// Product of `shape` (1 for `[]`).
    static func elementCount(of shape: [Int]) -> Int {
        shape.reduce(1, *)
    }
}
