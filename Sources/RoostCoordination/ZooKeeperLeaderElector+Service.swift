public import ServiceLifecycle

extension ZooKeeperLeaderElector: Service {
    /// Runs as a swift-service-lifecycle `Service`: waits until the `ServiceGroup` shuts down
    /// gracefully (or the task is cancelled), then resigns, so the next candidate takes over at once.
    ///
    /// The campaign itself starts with ``campaign(as:)`` (the `Master` calls it); putting the
    /// elector in the same `ServiceGroup` guarantees a resign on SIGTERM even if the master is
    /// stopped some other way. Never throws.
    public func run() async throws {
        try? await gracefulShutdown()
        await resign()
    }
}
