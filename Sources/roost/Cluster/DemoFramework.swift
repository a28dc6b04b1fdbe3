import RoostCore

/// A small built-in framework for `roost demo`: launches a list of real commands, retries
/// the ones that fail, and keeps long-running ones up. The sample frameworks (batch,
/// service, cron) take its place as they land.
actor DemoFramework: Scheduler {
    /// What the framework must achieve for the demo to pass.
    enum Goal: Sendable, CustomStringConvertible {
        /// Every task finishes successfully (after retries).
        case finishAll
        /// Every task is running at the end.
        case keepRunning

        var description: String {
            switch self {
            case .finishAll: "every task finishes"
            case .keepRunning: "every task stays running"
            }
        }
    }

    let name: String
    let goal: Goal
    /// How many tasks the framework runs.
    let total: Int
    private let templates: [TaskInfo]
    private var pending: [TaskInfo]
    private var attempts: [TaskID: Int] = [:]
    private var latest: [TaskID: TaskState] = [:]
    private(set) var launched = 0
    private(set) var finished = 0
    private(set) var failed = 0
    private(set) var killed = 0

    init(name: String, goal: Goal, tasks: [TaskInfo]) {
        self.name = name
        self.goal = goal
        templates = tasks
        pending = tasks
        total = tasks.count
    }

    var running: Int { latest.values.filter { $0 == .running }.count }
    var retries: Int { attempts.values.reduce(0) { $0 + max(0, $1 - 1) } }

    var goalMet: Bool {
        switch goal {
        case .finishAll: latest.count == total && latest.values.allSatisfy { $0 == .finished }
        case .keepRunning: running == total
        }
    }

    func resourceOffers(_ driver: any SchedulerDriver, offers: [Offer]) async throws {
        for offer in offers {
            var left = offer.resources
            var tasks: [TaskInfo] = []
            while let next = pending.first, left.contains(next.resources) {
                pending.removeFirst()
                let attempt = (attempts[next.id] ?? 0) + 1
                attempts[next.id] = attempt
                var task = next
                task.environment["ROOST_ATTEMPT"] = "\(attempt)"
                tasks.append(task)
                left -= task.resources
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
            // Retry with the same ID (allowed once the task is terminal).
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
