/// target[i] += a[i] · b[i] for i in 0..<count: one position's channels in a depthwise layer.
///
/// Pointer indexing has no overflow or bounds checks, so the compiler vectorises the loop (with a
/// run-time check that the ranges do not overlap); the same loop over array subscripts stays scalar.
@inline(__always)
func addProducts(
    _ target: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int
) {
    for index in 0..<count { target[index] += a[index] * b[index] }
}

/// target[i] += a[i] for i in 0..<count.
@inline(__always)
func addValues(_ target: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, count: Int) {
    for index in 0..<count { target[index] += a[index] }
}

extension Array where Element == Float {
    /// `count` floats written by `body` from the storage of `values`: how a layer's array form calls
    /// its pointer form.
    static func written(
        count: Int, from values: [Float], by body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    ) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { output, initialized in
            values.withUnsafeBufferPointer { input in
                if let source = input.baseAddress, let target = output.baseAddress { body(source, target) }
            }
            initialized = count
        }
    }
}
