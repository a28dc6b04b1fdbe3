/// Polling with a bounded exponential back-off, for conditions the kernel offers no
/// notification for (a process group emptying, a non-child process exiting).
enum Backoff {
    /// Re-checks `isDone` (first at once, then after 1 ms, 2 ms, … capped at `cap`) until it is
    /// true or `deadline` passes. Returns whether it became true. Cancellation ends the wait
    /// early (returning the last answer).
    static func poll(
        until deadline: ContinuousClock.Instant? = nil,
        cap: Duration = .milliseconds(50),
        _ isDone: () -> Bool
    ) async -> Bool {
        var delay = Duration.milliseconds(1)
        while true {
            if isDone() { return true }
            let now = ContinuousClock.now
            if let deadline, now >= deadline { return false }
            var wake = now.advanced(by: delay)
            if let deadline, wake > deadline { wake = deadline }
            do {
                try await Task.sleep(until: wake, clock: .continuous)
            } catch {
                return isDone()
            }
            delay = min(delay * 2, cap)
        }
    }
}
