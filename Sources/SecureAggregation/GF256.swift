/// Arithmetic in GF(2^8) with the AES polynomial x^8 + x^4 + x^3 + x + 1, by log and exp tables
/// over the generator 3. Shamir sharing works byte by byte in this field, so a share is as long as
/// its secret and needs no big-number arithmetic.
enum GF256 {
    /// exp[i] = 3^i for 0 ≤ i < 510 (twice round, so a sum of two logs indexes it directly), and
    /// log[v] for v ≠ 0.
    private static let tables: (exp: [UInt8], log: [UInt8]) = {
        var exp = [UInt8](repeating: 0, count: 510)
        var log = [UInt8](repeating: 0, count: 256)
        var value: UInt8 = 1
        for power in 0..<255 {
            exp[power] = value
            log[Int(value)] = UInt8(power)
            // value × 3 = value × 2 ⊕ value, reducing by the polynomial when the top bit overflows.
            let doubled = (value << 1) ^ ((value & 0x80) != 0 ? 0x1B : 0)
            value = doubled ^ value
        }
        for power in 255..<510 { exp[power] = exp[power - 255] }
        return (exp, log)
    }()

    /// The tables for a loop of many products: fetched once, rather than through the lazily made
    /// global on every product.
    struct Tables {
        fileprivate let exp: UnsafeBufferPointer<UInt8>
        fileprivate let log: UnsafeBufferPointer<UInt8>

        @inline(__always)
        func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
            guard a != 0, b != 0 else { return 0 }
            return exp[Int(log[Int(a)]) &+ Int(log[Int(b)])]
        }

        /// a × b for a b ≠ 0 given by its logarithm (``logarithm(_:)``).
        @inline(__always)
        func multiply(_ a: UInt8, byLogarithm logB: Int) -> UInt8 {
            a == 0 ? 0 : exp[Int(log[Int(a)]) &+ logB]
        }

        /// log₃ b for b ≠ 0.
        @inline(__always)
        func logarithm(_ b: UInt8) -> Int { Int(log[Int(b)]) }

        /// a / b for b ≠ 0.
        func divide(_ a: UInt8, _ b: UInt8) -> UInt8 {
            precondition(b != 0, "division by zero in GF(256)")
            guard a != 0 else { return 0 }
            return exp[Int(log[Int(a)]) + 255 - Int(log[Int(b)])]
        }
    }

    static func withTables<Result, Failure: Error>(_ body: (Tables) throws(Failure) -> Result) throws(Failure)
        -> Result
    {
        let tables = tables
        return try tables.exp.withUnsafeBufferPointer { exp throws(Failure) in
            try tables.log.withUnsafeBufferPointer { log throws(Failure) in try body(Tables(exp: exp, log: log)) }
        }
    }
}
