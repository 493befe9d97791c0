/// The inner loop of ``GaussianNoise``: writes σ · z_j to target[j] for j = next, next + 1, …, with
/// z_j standard normal from consecutive 32-bit words of a keystream block. The target may be
/// uninitialised memory.
///
/// Four words at a time go through the ziggurat's fast test together and their four samples are
/// stored; when one of the four fails, the samples of the words before it are kept and that word
/// goes the slow way before the next four (stores past the last sample kept are overwritten later),
/// so the result is the same as making every sample one word at a time in stream order. A wedge
/// test reads its uniform from the next two words; a tail, or a wedge at the end of the block, is
/// handed back to be finished from the stream.
struct NoiseFiller {
    let target: UnsafeMutableBufferPointer<Float>
    /// Per layer: the fast test's threshold (an Int32) and the Float step σ · x_i · 2⁻²⁴, as bits.
    let steps: UnsafeBufferPointer<SIMD2<UInt32>>
    let deviation: Double
    let ziggurat: NormalZiggurat
    /// Whether to test four words at once (off, every word goes alone: the portable reference).
    let fourAtATime: Bool
    /// The next element to receive noise.
    private(set) var next = 0

    init(
        target: UnsafeMutableBufferPointer<Float>, steps: UnsafeBufferPointer<SIMD2<UInt32>>, deviation: Double,
        ziggurat: NormalZiggurat, fourAtATime: Bool
    ) {
        self.target = target
        self.steps = steps
        self.deviation = deviation
        self.ziggurat = ziggurat
        self.fourAtATime = fourAtATime
    }

    /// Writes one standard normal sample `z`, times σ, to the next element.
    mutating func write(_ z: Double) {
        target.initializeElement(at: next, to: Float(deviation * z))
        next += 1
    }

    /// Fills elements from the words of `keystream` until the target is full or the words run out,
    /// or until a word needs a tail or a wedge test that the block cannot finish: that word comes
    /// back, used, to be finished with ``NormalZiggurat/sample(firstWord:using:)``.
    mutating func fill(from keystream: UnsafeRawBufferPointer) -> (used: Int, result: UInt32?) {
        guard let words = keystream.baseAddress, let values = target.baseAddress, let table = steps.baseAddress else {
            return (0, nil)
        }
        let wordCount = keystream.count / 4
        let count = target.count
        var used = 0
        var next = self.next
        defer { self.next = next }
        while next < count {
            if fourAtATime {
                fillFourAtATime(
                    words: words, wordCount: wordCount, used: &used, values: values, next: &next, table: table)
            }
            guard next < count, used < wordCount else { break }
            let bits = UInt32(littleEndian: words.loadUnaligned(fromByteOffset: 4 &* used, as: UInt32.self))
            used &+= 1
            let word = NormalZiggurat.Word(bits)
            let entry = table[word.layer]
            let sample: Float
            if Int32(word.magnitude) <= Int32(bitPattern: entry[0]) {
                let noise = Float(word.magnitude) * Float(bitPattern: entry[1])
                sample = Float(bitPattern: noise.bitPattern | UInt32(truncatingIfNeeded: word.sign >> 32))
            } else if word.layer != 0, used &+ 2 <= wordCount {
                let uniform = UInt64(littleEndian: words.loadUnaligned(fromByteOffset: 4 &* used, as: UInt64.self))
                used &+= 2
                guard ziggurat.wedgeAccepts(word, uniform: Double(uniform &>> 11) * 0x1p-53) else { continue }
                sample = Float(deviation * ziggurat.signedPoint(word))
            } else {
                return (4 &* used, bits)
            }
            (values + next).initialize(to: sample)
            next &+= 1
        }
        return (4 &* used, nil)
    }

    /// Four words at a time while four are left for four elements. A word that fails the fast test
    /// takes its wedge test here, with the next two words, and its sample is stored either way but
    /// kept only if the test passes, so the test's outcome costs no branch; words that need more
    /// (the base strip's tail, a wedge too close to the block's end) stop the loop before them.
    @inline(__always)
    private func fillFourAtATime(
        words: UnsafeRawPointer, wordCount: Int, used: inout Int, values: UnsafeMutablePointer<Float>, next: inout Int,
        table: UnsafePointer<SIMD2<UInt32>>
    ) {
        let count = target.count
        var quads = min(count &- next, wordCount &- used) &>> 2
        while quads > 0 {
            if Self.fastQuad(words + 4 &* used, into: values + next, table: table) {
                next &+= 4
                used &+= 4
                quads &-= 1
                continue
            }
            let passing = Self.passingBeforeFirstFailure(words + 4 &* used, table: table)
            next &+= passing
            used &+= passing
            let word = Self.word(words, used)
            guard word.layer != 0, used &+ 3 <= wordCount else { return }
            let uniform = UInt64(littleEndian: words.loadUnaligned(fromByteOffset: 4 &* (used &+ 1), as: UInt64.self))
            used &+= 3
            (values + next).initialize(to: Float(deviation * ziggurat.signedPoint(word)))
            next &+= ziggurat.wedgeAccepts(word, uniform: Double(uniform &>> 11) * 0x1p-53) ? 1 : 0
            quads = min(count &- next, wordCount &- used) &>> 2
        }
    }

    /// How many of four words, one of which fails the fast test, pass it before the first that
    /// fails, without a branch per word.
    @inline(__always)
    private static func passingBeforeFirstFailure(
        _ words: UnsafeRawPointer, table: UnsafePointer<SIMD2<UInt32>>
    ) -> Int {
        var passing = 0
        var allSoFar = 1
        for index in 0..<3 {
            let word = Self.word(words, index)
            allSoFar &= Int32(word.magnitude) <= Int32(bitPattern: table[word.layer][0]) ? 1 : 0
            passing &+= allSoFar
        }
        return passing
    }

    @inline(__always)
    private static func word(_ words: UnsafeRawPointer, _ index: Int) -> NormalZiggurat.Word {
        NormalZiggurat.Word(UInt32(littleEndian: words.loadUnaligned(fromByteOffset: 4 &* index, as: UInt32.self)))
    }

    /// The fast test on four words at once: stores all four samples and returns whether all four
    /// words pass.
    @inline(__always)
    private static func fastQuad(
        _ words: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>, table: UnsafePointer<SIMD2<UInt32>>
    ) -> Bool {
        var bits = words.loadUnaligned(as: SIMD4<UInt32>.self)
        #if _endian(big)
            bits = SIMD4(bits[0].byteSwapped, bits[1].byteSwapped, bits[2].byteSwapped, bits[3].byteSwapped)
        #endif
        let low = SIMD4(lowHalf: table[Int(bits[0] & 0xFF)], highHalf: table[Int(bits[1] & 0xFF)])
        let high = SIMD4(lowHalf: table[Int(bits[2] & 0xFF)], highHalf: table[Int(bits[3] & 0xFF)])
        let thresholds = SIMD4<Int32>(truncatingIfNeeded: SIMD4(lowHalf: low.evenHalf, highHalf: high.evenHalf))
        let steps = unsafeBitCast(SIMD4(lowHalf: low.oddHalf, highHalf: high.oddHalf), to: SIMD4<Float>.self)
        let magnitudes = SIMD4<Int32>(truncatingIfNeeded: ((bits & 0x7FFF_FFFF) &>> 7) | 1)
        let noise = unsafeBitCast(
            unsafeBitCast(SIMD4<Float>(magnitudes) * steps, to: SIMD4<UInt32>.self) ^ (bits & 0x8000_0000),
            to: SIMD4<Float>.self)
        UnsafeMutableRawPointer(values).storeBytes(of: noise, as: SIMD4<Float>.self)
        return !any(magnitudes .> thresholds)
    }
}
