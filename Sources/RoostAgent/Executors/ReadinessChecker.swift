import RoostCore

/// Runs a task's ``ReadinessCheck`` the way Mesos' checker runs a `CheckInfo` and tells its
/// executor each change of verdict.
///
/// After `delay`, one check every `interval` (counted from the end of the previous one), each
/// limited to `timeout`, with the same probes as the ``HealthChecker`` (``CheckProbe``). The
/// first verdict is reported, then every change, both ways (ready, not ready, ready again).
/// There is no grace period and no failure count: a failing check only means "not ready", and
/// the checker goes on until cancelled (when the task ends).
struct ReadinessChecker: Sendable {
    let check: ReadinessCheck
    private let probe: CheckProbe

    /// A checker for `check`; a command check runs in `workingDirectory` with `environment`
    /// (the task's).
    init(check: ReadinessCheck, workingDirectory: String, environment: [String: String]) {
        self.check = check
        probe = CheckProbe(
            kind: check.kind, timeout: check.timeout, workingDirectory: workingDirectory, environment: environment, name: "readiness check")
    }

    /// Checks until cancelled; `report` gets the new verdict and the probe's detail.
    func run(_ report: @Sendable (_ ready: Bool, _ detail: String) async -> Void) async {
        do { try await Task.sleep(for: check.delay) } catch { return }
        var ready: Bool?
        while !Task.isCancelled {
            let verdict: Bool
            let detail: String
            switch await probe.run() {
            case .passed(let passed):
                (verdict, detail) = (true, passed)
            case .failed(let failed):
                // A command killed because the checker was cancelled says nothing about the task.
                if Task.isCancelled { return }
                (verdict, detail) = (false, failed)
            }
            if ready != verdict {
                ready = verdict
                await report(verdict, detail)
            }
            do { try await Task.sleep(for: check.interval) } catch { return }
        }
    }
}
