import RoostBatch
import RoostCore
import RoostMaster

/// One framework of `roost demo`: how it runs, what it must achieve, and how it reports.
protocol DemoPart: Sendable {
    /// The framework's name (its `FrameworkInfo.name`, shown in progress lines and the summary).
    var name: String { get }
    /// The goal, in words, for the summary.
    var goal: String { get }
    /// What to subscribe as.
    var frameworkInfo: FrameworkInfo { get async }
    /// Runs the framework on `driver` until the driver is stopped.
    func run(_ driver: InProcessSchedulerDriver) async throws
    /// Whether the goal is met now.
    var goalMet: Bool { get async }
    /// A few words of progress for the progress line.
    var progress: String { get async }
    /// The summary table's counts.
    var counts: DemoCounts { get async }
}

/// The counts of a summary row.
struct DemoCounts: Sendable {
    var tasks = 0, launched = 0, finished = 0, failed = 0, killed = 0
}

/// A demo framework that runs one ``BatchJob`` with the sample ``BatchScheduler``; its goal
/// is the job's success.
struct BatchDemoPart: DemoPart {
    let job: BatchJob
    let scheduler: BatchScheduler

    /// Makes a scheduler named after the job and submits the job to it.
    init(job: BatchJob, agentWorkDirectories: [AgentID: String]) async throws {
        self.job = job
        scheduler = try await BatchScheduler(configuration: .init(frameworkName: job.name, agentWorkDirectories: agentWorkDirectories))
        try await scheduler.submit(job)
    }

    var name: String { job.name }
    var goal: String { "the job succeeds" }
    var frameworkInfo: FrameworkInfo { get async { await scheduler.frameworkInfo } }

    func run(_ driver: InProcessSchedulerDriver) async throws {
        try await scheduler.run { try await driver.run($0) }
    }

    var goalMet: Bool { get async { await scheduler.status(of: job.name)?.condition.kind == .succeeded } }

    var progress: String {
        get async {
            guard let status = await scheduler.status(of: job.name) else { return "gone" }
            return "\(status.succeeded)/\(job.completions) done, \(status.active) running, \(status.failed) failed (retried)"
        }
    }

    var counts: DemoCounts {
        get async {
            guard let status = await scheduler.status(of: job.name) else { return DemoCounts(tasks: job.completions) }
            return DemoCounts(
                tasks: job.completions, launched: status.tasks.count, finished: status.succeeded, failed: status.failed,
                killed: status.tasks.count { $0.state == .killed })
        }
    }
}
