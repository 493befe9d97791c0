import ServiceLifecycle

/// The clock that moves rounds and rollouts along: calls `tick` every `interval` until the service
/// group shuts down gracefully (or the task is cancelled).
enum PeriodicTicks {
    static func run(every interval: Duration, _ tick: @escaping @Sendable () async -> Void) async {
        try? await cancelWhenGracefulShutdown {
            while true {
                try await Task.sleep(for: interval)
                await tick()
            }
        }
    }
}
