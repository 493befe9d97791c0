/// One dense layer read from a Gemm or MatMul(+Add): W [outputs, inputs] row-major (Starling's layout,
/// i.e. ONNX Gemm with transB=1) and b [outputs].
struct DenseLayerWeights {
    let inputs: Int
    let outputs: Int
    /// W, row-major [outputs, inputs].
    var weight: [Float]
    /// b, [outputs].
    var bias: [Float]

    /// From a stored matrix: `[outputs, inputs]` when `transposed` (Gemm transB=1), else `[inputs, outputs]`
    /// (MatMul, Gemm transB=0), scaled by `alpha`, with zero bias.
    init(matrix: [Float], rows: Int, columns: Int, transposed: Bool, alpha: Float = 1) {
        precondition(matrix.count == rows * columns, "matrix size does not match its dimensions")
        if transposed {
            inputs = columns
            outputs = rows
            weight = alpha == 1 ? matrix : matrix.map { alpha * $0 }
        } else {
            inputs = rows
            outputs = columns
            var transpose = [Float](repeating: 0, count: matrix.count)
            for i in 0..<rows {
                for o in 0..<columns { transpose[o * rows + i] = alpha * matrix[i * columns + o] }
            }
            weight = transpose
        }
        bias = [Float](repeating: 0, count: outputs)
    }

    /// b ← b + scale · c, where `c` broadcasts to [outputs] (shape [outputs], [1, outputs] or one element).
    /// Returns false when `c` does not broadcast to a per-output bias.
    mutating func addBias(_ c: [Float], dims: [Int], scale: Float = 1) -> Bool {
        let leadingOnes = dims.dropLast().allSatisfy { $0 == 1 }
        if c.count == outputs, dims.last == outputs, leadingOnes {
            for j in 0..<outputs { bias[j] += scale * c[j] }
        } else if c.count == 1 {
            for j in 0..<outputs { bias[j] += scale * c[0] }
        } else {
            return false
        }
        return true
    }
}
