import FoundationEssentials
import RoostCore

/// One task of a trace framework and what happened to it.
struct TraceTask: Sendable {
    var resources: Resources
    var duration: Duration?
    /// When it last became pending: its submission, or its preemption.
    var pendingSince: Duration
    /// How many times it was launched (a preempted task is launched again under a new ID).
    var attempts = 0
}

/// What a trace framework's tasks did, for the report.
struct TraceLog: Sendable {
    /// A change in what the framework uses: `+resources` at a launch, `-resources` at an end.
    struct Change: Sendable {
        var time: Duration
        var resources: Resources
        var isLaunch: Bool
    }

    var changes: [Change] = []
    /// Every launch's wait: launch time minus the time the task became pending.
    var waits: [Duration] = []
    var launched = 0
    var finished = 0
    var preempted = 0
    var failed = 0
    var pending = 0
    var running = 0
    var submitted = 0
}

/// The scheduler `roost simulate` runs for each framework of a trace.
///
/// It launches its pending tasks, oldest first (the first that fits), at most
/// `maxTasksPerOffer` from one offer. When it launched something it declines the rest
/// with a zero refuse filter, so the remainder is offered again at once to whoever the
/// policy now ranks first (with one task per offer this is the progressive filling of the
/// DRF paper); when it could use nothing it declines with the default filter (5 s), so it
/// does not starve the others. It declares its pending tasks as demand (`REQUEST`, at most
/// ``demandLimit`` of them), so a preempting policy can make room; a preempted task
/// (`TASK_KILLED`: this scheduler kills nothing itself) is pending again at once and is
/// launched afresh, its full duration. With nothing pending it suppresses offers, and
/// revives when tasks are submitted.
actor TraceScheduler: Scheduler {
    /// The most requests declared at a time, to bound the preemption pass's work.
    static let demandLimit = 32
    /// The task label that carries a task's duration in seconds (absent: runs until the end).
    static let durationLabel = "roost.simulate.duration"

    let name: String
    let maxTasksPerOffer: Int
    private let clock: ManualClock
    private var tasks: [TraceTask] = []
    /// Indices into `tasks`, in the order they became pending.
    private var pending: [Int] = []
    /// Running tasks by the ID of their current launch.
    private var launches: [TaskID: Int] = [:]
    private var suppressed = false
    private(set) var log = TraceLog()

    init(name: String, maxTasksPerOffer: Int, clock: ManualClock) {
        self.name = name
        self.maxTasksPerOffer = maxTasksPerOffer
        self.clock = clock
    }

    private var now: Duration { clock.now.offset }

    /// Makes `group.count` tasks pending now; with a driver, revives offers and declares the demand.
    func submit(_ group: WorkloadTrace.TaskGroup, driver: (any SchedulerDriver)?) async throws {
        for _ in 0..<group.count {
            tasks.append(TraceTask(resources: group.resources, duration: group.duration, pendingSince: now))
            pending.append(tasks.count - 1)
        }
        log.submitted += group.count
        guard let driver else { return }
        suppressed = false
        try await driver.revive()
        try await declareDemand(driver)
    }

    func resourceOffers(_ driver: any SchedulerDriver, offers: [Offer]) async throws {
        var launchedAny = false
        for offer in offers {
            var left = offer.resources
            var launch: [TaskInfo] = []
            var position = 0
            while launch.count < maxTasksPerOffer, position < pending.count {
                let index = pending[position]
                guard left.contains(tasks[index].resources) else {
                    position += 1
                    continue
                }
                pending.remove(at: position)
                left -= tasks[index].resources
                launch.append(start(index))
            }
            if launch.isEmpty {
                try await driver.decline([offer.id])
            } else {
                launchedAny = true
                try await driver.launch(launch, on: offer, filters: Filters(refuse: .zero))
            }
        }
        if pending.isEmpty, !suppressed {
            suppressed = true
            try await driver.request([])
            try await driver.suppress()
        } else if launchedAny {
            // Offers that held a pending task served its request: declare what is still pending.
            // (An offer declined whole held none, so the declared demand still stands.)
            try await declareDemand(driver)
        }
    }

    func statusUpdate(_ driver: any SchedulerDriver, status: TaskStatus) async throws {
        guard status.state.isTerminal, let index = launches.removeValue(forKey: status.taskID) else { return }
        log.changes.append(.init(time: now, resources: tasks[index].resources, isLaunch: false))
        switch status.state {
        case .finished:
            log.finished += 1
        case .killed:
            log.preempted += 1
            tasks[index].pendingSince = now
            pending.append(index)
            if suppressed {
                suppressed = false
                try await driver.revive()
            }
            try await declareDemand(driver)
        default:
            log.failed += 1
        }
    }

    /// The report's counts as of now.
    func finalLog() -> TraceLog {
        var result = log
        result.pending = pending.count
        result.running = launches.count
        return result
    }

    private func start(_ index: Int) -> TaskInfo {
        tasks[index].attempts += 1
        let id = TaskID("\(name)-\(index)" + (tasks[index].attempts > 1 ? "-\(tasks[index].attempts)" : ""))
        launches[id] = index
        log.launched += 1
        log.waits.append(now - tasks[index].pendingSince)
        log.changes.append(.init(time: now, resources: tasks[index].resources, isLaunch: true))
        var labels: [String: String] = [:]
        if let duration = tasks[index].duration { labels[Self.durationLabel] = "\(duration.seconds)" }
        return TaskInfo(id: id, resources: tasks[index].resources, command: .shell("true"), labels: labels)
    }

    private func declareDemand(_ driver: any SchedulerDriver) async throws {
        let requests = pending.prefix(Self.demandLimit).map { ResourceRequest(resources: tasks[$0].resources) }
        try await driver.request(requests)
    }
}
