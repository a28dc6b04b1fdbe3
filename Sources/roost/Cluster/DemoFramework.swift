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

/// A small built-in service framework for `roost demo`: keeps a list of long-running
/// commands up, launching again any that ends (the service sample framework takes its
/// place when it lands).
actor DemoFramework: Scheduler, DemoPart {
    nonisolated let name: String
    /// How many tasks the framework keeps running.
    let total: Int
    private let templates: [TaskInfo]
    private var pending: [TaskInfo]
    private var latest: [TaskID: TaskState] = [:]
    private var launched = 0
    private var finished = 0
    private var failed = 0
    private var killed = 0

    init(name: String, tasks: [TaskInfo]) {
        self.name = name
        templates = tasks
        pending = tasks
        total = tasks.count
    }

    nonisolated var goal: String { "every task stays running" }
    var frameworkInfo: FrameworkInfo { FrameworkInfo(name: name) }
    private var running: Int { latest.values.filter { $0 == .running }.count }
    var goalMet: Bool { running == total }
    var progress: String { "\(running)/\(total) up" }
    var counts: DemoCounts { DemoCounts(tasks: total, launched: launched, finished: finished, failed: failed, killed: killed) }

    func run(_ driver: InProcessSchedulerDriver) async throws {
        try await driver.run(self)
    }

    func resourceOffers(_ driver: any SchedulerDriver, offers: [Offer]) async throws {
        for offer in offers {
            var left = offer.resources
            var tasks: [TaskInfo] = []
            while let next = pending.first, left.contains(next.resources) {
                pending.removeFirst()
                tasks.append(next)
                left -= next.resources
            }
            launched += tasks.count
            // Decline the rest briefly, so the others are offered it but it comes back soon.
            try await driver.launch(tasks, on: offer, filters: Filters(refuse: .seconds(1)))
        }
        if pending.isEmpty { try await driver.suppress() }
    }

    func statusUpdate(_ driver: any SchedulerDriver, status: TaskStatus) async throws {
        latest[status.taskID] = status.state
        switch status.state {
        case .finished:
            finished += 1
        case .failed, .lost, .error, .dropped, .gone:
            failed += 1
            // Start it again with the same ID (allowed once the task is terminal).
            if let template = templates.first(where: { $0.id == status.taskID }) {
                pending.append(template)
                try await driver.revive()
            }
        case .killed:
            killed += 1
        default:
            break
        }
    }
}
