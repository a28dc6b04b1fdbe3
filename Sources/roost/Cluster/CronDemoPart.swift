import RoostBatch
import RoostCore
import RoostCron
import RoostMaster

/// The cron framework in `roost demo`: a ``CronScheduler`` with one cron job that runs every minute.
///
/// Cron's finest schedule is a minute and the demo lasts about half of one, so waiting for the
/// schedule alone would make the demo's result depend on when it was started. Instead the part
/// starts one run at once with ``CronScheduler/trigger(_:)``, which is what an operator does to
/// try a cron job out (`kubectl create job --from=cronjob/<name>`, Nomad's
/// `job periodic force`); scheduled runs follow on each minute while the demo lasts. The goal
/// is honest about that: at least one run succeeded and none failed.
struct CronDemoPart: DemoPart {
    let job: CronJob
    let scheduler: CronScheduler

    /// Makes the scheduler, adds the cron job and starts its first run now.
    init(agentWorkDirectories: [AgentID: String]) async throws {
        job = CronJob(
            name: "cron", schedule: try CronSchedule(parsing: "* * * * *"),
            jobTemplate: BatchJob(name: "cron", command: .shell("sleep 1; echo \"run $ROOST_JOB_NAME done\""), resources: "cpus:0.1;mem:32"),
            concurrencyPolicy: .forbid, startingDeadline: .seconds(30))
        scheduler = try await CronScheduler(configuration: .init(frameworkName: "cron", agentWorkDirectories: agentWorkDirectories))
        try await scheduler.add(job)
        try await scheduler.trigger(job.name)
    }

    var name: String { job.name }
    var goal: String { "a run succeeds, none fails" }
    var frameworkInfo: FrameworkInfo { get async { await scheduler.frameworkInfo } }

    func run(_ driver: InProcessSchedulerDriver) async throws {
        try await scheduler.run { try await driver.run($0) }
    }

    var goalMet: Bool {
        get async {
            guard let status = await scheduler.status(of: job.name) else { return false }
            return status.history.contains { $0.outcome == .succeeded } && !status.history.contains { $0.outcome == .failed }
        }
    }

    var progress: String {
        get async {
            guard let status = await scheduler.status(of: job.name) else { return "gone" }
            let ok = status.history.count { $0.outcome == .succeeded }
            let next = status.nextRunTime.map { job.schedule.formatted($0.date).dropFirst(11).prefix(8) } ?? "never"
            return "\(ok) run(s) ok, \(status.active.count) running, next \(next)"
        }
    }

    var counts: DemoCounts {
        get async {
            guard let status = await scheduler.status(of: job.name) else { return DemoCounts() }
            var counts = DemoCounts(tasks: status.active.count + status.history.count)
            for run in status.active + status.history {
                guard let batch = await scheduler.batch.status(of: run.jobName) else { continue }
                counts.launched += batch.tasks.count
                counts.finished += batch.succeeded
                counts.failed += batch.failed
                counts.killed += batch.tasks.count { $0.state == .killed }
            }
            return counts
        }
    }
}
