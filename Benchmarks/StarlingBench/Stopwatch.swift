import Foundation

/// Monotonic nanosecond timestamps and the summary statistics the benchmark reports.
enum Stopwatch {
    /// CLOCK_MONOTONIC in nanoseconds.
    @inline(__always)
    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    /// p50 and p99 in nanoseconds of `iterations` individually timed calls, after `warmup` calls.
    static func latency(iterations: Int, warmup: Int, _ body: () -> Void) -> (p50: Double, p99: Double) {
        for _ in 0..<warmup { body() }
        var samples = [UInt64](repeating: 0, count: iterations)
        for index in 0..<iterations {
            let start = now()
            body()
            samples[index] = now() - start
        }
        samples.sort()
        return (Double(samples[iterations / 2]), Double(samples[min(iterations - 1, iterations * 99 / 100)]))
    }

    /// Rows per second of each body (`rows` rows per call): the best of `repeats` rounds that each run
    /// every body for `calls` calls in turn, after `calls / 4 + 1` warm-up calls, so load from other
    /// processes on the shared machine falls on every body alike and the ratios between them stay fair.
    static func interleavedThroughput(rows: Int, calls: Int, repeats: Int, _ bodies: [() -> Void]) -> [Double] {
        for body in bodies {
            for _ in 0..<(calls / 4 + 1) { body() }
        }
        var best = [Double](repeating: 0, count: bodies.count)
        for _ in 0..<repeats {
            for (index, body) in bodies.enumerated() {
                let start = now()
                for _ in 0..<calls { body() }
                best[index] = max(best[index], Double(rows * calls) / (Double(now() - start) / 1e9))
            }
        }
        return best
    }

    /// Rows per second: the best of `repeats` runs of `calls` calls of `rows` rows each (best-of-N
    /// keeps other processes on the shared machine out of the figure; ort_peer.py does the same).
    static func throughput(rows: Int, calls: Int, repeats: Int, _ body: () -> Void) -> Double {
        for _ in 0..<(calls / 4 + 1) { body() }
        var rates: [Double] = []
        for _ in 0..<repeats {
            let start = now()
            for _ in 0..<calls { body() }
            let seconds = Double(now() - start) / 1e9
            rates.append(Double(rows * calls) / seconds)
        }
        return rates.max() ?? 0
    }
}
