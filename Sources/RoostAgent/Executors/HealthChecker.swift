import RoostCore

/// Runs a task's ``HealthCheck`` the way Mesos' health checker does and tells its executor
/// what changed.
///
/// After `delay`, one check every `interval` (counted from the end of the previous one), each
/// limited to `timeout`. Failures are ignored during `gracePeriod` after the task started,
/// until the first success. A change of verdict is reported; after `consecutiveFailures`
/// failures in a row the checker reports that and stops.
struct HealthChecker: Sendable {
    /// What the checker tells the executor.
    enum Event: Sendable, Hashable {
        /// The verdict changed to `healthy` (the first verdict counts as a change).
        case changed(healthy: Bool, detail: String)
        /// `count` checks failed in a row: the task should be killed.
        case failedTooOften(count: Int, detail: String)
    }

    let check: HealthCheck
    /// When the task's process started, for the grace period.
    let startedAt: ContinuousClock.Instant
    private let probe: CheckProbe

    /// A checker for `check`; a command check runs in `workingDirectory` with `environment`
    /// (the task's).
    init(check: HealthCheck, workingDirectory: String, environment: [String: String], startedAt: ContinuousClock.Instant) {
        self.check = check
        self.startedAt = startedAt
        probe = CheckProbe(
            kind: check.kind, timeout: check.timeout, workingDirectory: workingDirectory, environment: environment, name: "health check")
    }

    /// Checks until cancelled or until the task has failed too often.
    func run(_ report: @Sendable (Event) async -> Void) async {
        do { try await Task.sleep(for: check.delay) } catch { return }
        var healthy: Bool?
        var failures = 0
        var passedOnce = false
        while !Task.isCancelled {
            switch await probe.run() {
            case .passed(let detail):
                failures = 0
                passedOnce = true
                if healthy != true {
                    healthy = true
                    await report(.changed(healthy: true, detail: detail))
                }
            case .failed(let detail):
                if Task.isCancelled { return }
                let inGrace = !passedOnce && ContinuousClock.now < startedAt.advanced(by: check.gracePeriod)
                if !inGrace {
                    failures += 1
                    if healthy != false {
                        healthy = false
                        await report(.changed(healthy: false, detail: detail))
                    }
                    if failures >= check.consecutiveFailures {
                        await report(.failedTooOften(count: failures, detail: detail))
                        return
                    }
                }
            }
            do { try await Task.sleep(for: check.interval) } catch { return }
        }
    }
}
