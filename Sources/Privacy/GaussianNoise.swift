/// Gaussian noise for DP-SGD and central DP: N(0, σ²) samples from a ``SecureRandom`` stream, one
/// 32-bit word each on the fast path of a 256-layer ziggurat (``NormalZiggurat``), which 98.5% of
/// words take; the rest go through its exact wedge and tail. Samples come in stream order, one per
/// element, so a fixed key gives fixed noise.
public enum GaussianNoise {
    /// Adds N(0, standardDeviation²) to every element of `values`.
    public static func add(standardDeviation: Double, to values: inout [Float], using random: inout SecureRandom) {
        add(standardDeviation: standardDeviation, to: &values, scaledBy: 1, using: &random)
    }

    /// values[i] ← (values[i] + N(0, standardDeviation²)) · scale for every element.
    public static func add(
        standardDeviation: Double, to values: inout [Float], scaledBy scale: Float, using random: inout SecureRandom
    ) {
        add(standardDeviation: standardDeviation, to: &values, scaledBy: scale, using: &random, fourAtATime: true)
    }

    /// `count` samples of N(0, standardDeviation²), written straight into new storage: the noise
    /// that DP-SGD lets the clipped gradient sum accumulate onto.
    public static func samples(count: Int, standardDeviation: Double, using random: inout SecureRandom) -> [Float] {
        samples(count: count, standardDeviation: standardDeviation, using: &random, fourAtATime: true)
    }

    /// ``add(standardDeviation:to:scaledBy:using:)``, with or without testing four words at once;
    /// both give the same values. The noise, already scaled, is made a chunk at a time on the stack.
    static func add(
        standardDeviation: Double, to values: inout [Float], scaledBy scale: Float, using random: inout SecureRandom,
        fourAtATime: Bool
    ) {
        values.withUnsafeMutableBufferPointer { target in
            guard standardDeviation > 0 else {
                for index in target.indices { target[index] *= scale }
                return
            }
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 4096) { chunk in
                var start = 0
                while start < target.count {
                    let count = min(chunk.count, target.count - start)
                    let noise = UnsafeMutableBufferPointer(rebasing: chunk[0..<count])
                    let deviation = standardDeviation * Double(scale)
                    fill(noise, standardDeviation: deviation, fourAtATime: fourAtATime, using: &random)
                    for index in 0..<count { target[start + index] = target[start + index] * scale + noise[index] }
                    start += count
                }
            }
        }
    }

    /// ``samples(count:standardDeviation:using:)``, with or without testing four words at once.
    static func samples(
        count: Int, standardDeviation: Double, using random: inout SecureRandom, fourAtATime: Bool
    ) -> [Float] {
        guard standardDeviation > 0 else { return [Float](repeating: 0, count: count) }
        return [Float](unsafeUninitializedCapacity: count) { target, initialized in
            fill(target, standardDeviation: standardDeviation, fourAtATime: fourAtATime, using: &random)
            initialized = count
        }
    }

    /// Writes N(0, standardDeviation²) to every element of `target`, which may be uninitialised.
    private static func fill(
        _ target: UnsafeMutableBufferPointer<Float>, standardDeviation: Double, fourAtATime: Bool,
        using random: inout SecureRandom
    ) {
        let ziggurat = NormalZiggurat.standard
        withUnsafeTemporaryAllocation(of: SIMD2<UInt32>.self, capacity: NormalZiggurat.layerCount) { steps in
            for (index, layer) in ziggurat.layers.enumerated() {
                let step = Float(layer.width * 0x1p-24 * standardDeviation)
                steps.initializeElement(at: index, to: SIMD2(UInt32(bitPattern: layer.threshold), step.bitPattern))
            }
            var filler = NoiseFiller(
                target: target, steps: UnsafeBufferPointer(steps), deviation: standardDeviation, ziggurat: ziggurat,
                fourAtATime: fourAtATime)
            while filler.next < target.count {
                let rejected = random.withUnusedKeystream(atLeast: 4) { keystream in
                    filler.fill(from: keystream)
                }
                if let rejected {
                    filler.write(ziggurat.sample(firstWord: rejected, using: &random))
                }
            }
        }
    }
}
