#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The wall clock as the monitors read it on every prediction: seconds since 1970 from the
/// kernel's coarse clock (a few milliseconds of resolution, which windows of minutes and a
/// retention of hours do not notice), read without a system call.
public enum CoarseClock {
    public static func now() -> Double {
        var time = timespec()
        #if os(Linux)
            clock_gettime(CLOCK_REALTIME_COARSE, &time)
        #else
            clock_gettime(CLOCK_REALTIME, &time)
        #endif
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
