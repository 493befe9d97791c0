import StarlingCore

/// A weight matrix quantized to int8, symmetric per output channel: row `r` of the float matrix is
/// approximated by `scales[r] * values[r, ·]` with `values` in −127…127 and no zero point.
///
/// Per-channel scales keep one large row from crushing the resolution of every other row, the usual
/// choice for weights in post-training quantization (Jacob et al. 2018; Krishnamoorthi 2018).
public struct PerChannelInt8: Sendable, Equatable {
    public var rows: Int
    public var columns: Int
    /// Row-major int8 values, `rows × columns`.
    public var values: [Int8]
    /// One scale per row (output channel); 1 for an all-zero row.
    public var scales: [Float]

    /// Quantizes a `[rows, columns]` weight tensor: `scale_r = max|w_r| / 127`, `q = round(w / scale_r)`.
    public init(weight: Tensor) {
        precondition(weight.shape.count == 2, "a weight matrix has two dimensions")
        rows = weight.shape[0]
        columns = weight.shape[1]
        values = [Int8](repeating: 0, count: rows * columns)
        scales = [Float](repeating: 1, count: rows)
        for row in 0..<rows {
            let slice = weight.values[(row * columns)..<((row + 1) * columns)]
            let largest = slice.reduce(0) { max($0, abs($1)) }
            guard largest > 0 else { continue }
            let scale = largest / 127
            scales[row] = scale
            for (offset, value) in slice.enumerated() {
                values[row * columns + offset] = Int8(max(-127, min(127, (value / scale).rounded())))
            }
        }
    }

    /// The float matrix these int8 values stand for.
    public func dequantized() -> Tensor {
        var floats = [Float](repeating: 0, count: rows * columns)
        for index in floats.indices {
            floats[index] = Float(values[index]) * scales[index / columns]
        }
        return Tensor(shape: [rows, columns], values: floats)
    }
}

extension PerChannelInt8 {
    /// Wraps already-quantized values (e.g. read from an int8 bundle); counts must match the shape.
    public init(rows: Int, columns: Int, values: [Int8], scales: [Float]) {
        precondition(rows >= 0 && columns >= 0, "dimensions must be non-negative")
        precondition(values.count == rows * columns, "values must hold rows × columns entries")
        precondition(scales.count == rows, "one scale per row")
        self.rows = rows
        self.columns = columns
        self.values = values
        self.scales = scales
    }
}
