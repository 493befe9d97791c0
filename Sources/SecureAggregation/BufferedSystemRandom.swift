#if canImport(Glibc)
    import CSystemRandom
#endif

/// The operating system's cryptographically secure random bytes, drawn 256 at a time.
/// `SystemRandomNumberGenerator` asks the kernel once per eight bytes, and a client's key sharing
/// draws about a kilobyte (its self-mask secret and the coefficients of two Shamir sharings): about
/// a hundred calls a device, 1 % of a simulated fleet's CPU over a round.
///
/// Bytes drawn and not yet handed out stay in the generator until it is dropped.
struct BufferedSystemRandom: RandomNumberGenerator {
    private var words = [UInt64](repeating: 0, count: 32)
    private var unread = 32

    mutating func next() -> UInt64 {
        if unread == words.count { refill() }
        defer { unread += 1 }
        return words[unread]
    }

    private mutating func refill() {
        unread = 0
        #if canImport(Glibc)
            // At most 256 bytes from the kernel's pool never come back short or interrupted once the
            // pool is ready; anything else falls back to the standard library's generator.
            let filled = words.withUnsafeMutableBytes { raw in
                raw.baseAddress.map { getrandom($0, raw.count, 0) == raw.count } ?? false
            }
            if filled { return }
        #endif
        var system = SystemRandomNumberGenerator()
        for index in words.indices { words[index] = system.next() }
    }
}
