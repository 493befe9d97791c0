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
    /// `count` values for a caller that writes every one of them: in `storage`'s memory when it is
    /// this array's alone and can hold them (a training workspace's buffer from the step before, so
    /// no page is mapped and zero-filled again), else in new memory. Values are unspecified.
    static func reusing(_ storage: consuming [Float], count: Int) -> [Float] {
        guard storage.capacity >= count else {
            return [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
        }
        var array = consume storage
        if array.count > count {
            array.removeLast(array.count - count)
        } else if array.count < count {
            array.append(contentsOf: repeatElement(0, count: count - array.count))
        }
        return array
    }

    /// `count` zeros, in `storage`'s memory when it can hold them.
    static func zeros(_ count: Int, reusing storage: consuming [Float]) -> [Float] {
        var array = reusing(consume storage, count: count)
        array.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        return array
    }

    /// `count` floats written by `body` from the storage of `values`, in `storage`'s memory when it
    /// can hold them: how a layer's array form calls its pointer form.
    static func written(
        count: Int, from values: [Float], reusing storage: consuming [Float] = [],
        by body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    ) -> [Float] {
        var output = reusing(consume storage, count: count)
        values.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { output in
                if let source = input.baseAddress, let target = output.baseAddress { body(source, target) }
            }
        }
        return output
    }
}

extension Array {
    /// The array, leaving this variable empty: lends a workspace's buffer to a layer that writes it
    /// in place, with no second reference left to force a copy.
    mutating func moveOut() -> [Element] {
        let array = self
        self = []
        return array
    }
}
