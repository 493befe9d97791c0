#if canImport(Glibc)
    import CMalloc
#endif

/// The daemon's heap settings for glibc malloc, applied before any thread starts: the agent is
/// long-lived and mostly idle, so resident memory matters more than allocation throughput.
enum MallocTuning {
    /// One arena for every thread (instead of up to eight per core, each keeping its own free
    /// memory); blocks of 64 KiB and more (request bodies, model files) mapped on their own and
    /// unmapped when freed; free memory above 128 KiB at the top of the heap given back.
    static func apply() {
        #if canImport(Glibc)
            mallopt(M_ARENA_MAX, 1)
            mallopt(M_MMAP_THRESHOLD, 64 * 1024)
            mallopt(M_TRIM_THRESHOLD, 128 * 1024)
        #endif
    }
}
