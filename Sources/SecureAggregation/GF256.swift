/// Arithmetic in GF(2^8) with the AES polynomial x^8 + x^4 + x^3 + x + 1, by log and exp tables
/// over the generator 3. Shamir sharing works byte by byte in this field, so a share is as long as
/// its secret and needs no big-number arithmetic.
enum GF256 {
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

    static func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
        guard a != 0, b != 0 else { return 0 }
        return tables.exp[Int(tables.log[Int(a)]) + Int(tables.log[Int(b)])]
    }

    /// a / b for b ≠ 0.
    static func divide(_ a: UInt8, _ b: UInt8) -> UInt8 {
        precondition(b != 0, "division by zero in GF(256)")
        guard a != 0 else { return 0 }
        return tables.exp[Int(tables.log[Int(a)]) + 255 - Int(tables.log[Int(b)])]
    }
}
