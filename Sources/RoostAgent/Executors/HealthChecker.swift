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
    /// Where a command check runs (the task's working directory) and with what variables (the task's).
    let workingDirectory: String
    let environment: [String: String]
    /// When the task's process started, for the grace period.
    let startedAt: ContinuousClock.Instant

    /// Checks until cancelled or until the task has failed too often.
    func run(_ report: @Sendable (Event) async -> Void) async {
        do { try await Task.sleep(for: check.delay) } catch { return }
        var healthy: Bool?
        var failures = 0
        var passedOnce = false
        while !Task.isCancelled {
            switch await probe() {
            case .healthy(let detail):
                failures = 0
                passedOnce = true
                if healthy != true {
                    healthy = true
                    await report(.changed(healthy: true, detail: detail))
                }
            case .unhealthy(let detail):
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

    /// One check.
    func probe() async -> ProbeResult {
        switch check.kind {
        case .tcp(let port):
            return await SocketProbe.tcp(port: port, timeout: check.timeout)
        case .http(let port, let path):
            return await SocketProbe.http(port: port, path: path, timeout: check.timeout)
        case .command(let command):
            let configuration = TaskProcess.Configuration(
                command: command, workingDirectory: workingDirectory, environment: environment, teardownGracePeriod: .zero)
            let process: TaskProcess
            do {
                process = try await TaskProcess.launch(configuration)
            } catch {
                return .unhealthy("the health check command could not start: \(error.message)")
            }
            guard let termination = await process.wait(timeout: check.timeout) else {
                // Timed out (or the checker was cancelled): kill the check's whole group now.
                await process.kill(gracePeriod: .zero)
                return .unhealthy("the health check command '\(command)' did not finish within \(check.timeout)")
            }
            if termination.isSuccess {
                return .healthy("the health check command passed")
            }
            return .unhealthy("the health check command '\(command)' \(termination)")
        }
    }
}
