import RoostCore

/// One piece of work for ``{{name}}Scheduler``.
public enum {{name}}Work: Sendable, Hashable {
    /// A shell command, run by the agent's command executor as a real process (`/bin/sh -c`).
    case shell(String)
    /// Words to count, by ``{{name}}Executor`` inside the agent's process.
    case countWords(String)
}

/// Runs each of a list of pieces of work once, as a task on whichever agent offers room,
/// retrying one whose task fails up to `maxAttempts` times in all; when every piece has
/// succeeded or used its attempts, it stops the framework.
public actor {{name}}Scheduler: Scheduler {
    /// The work; a piece's index names its tasks.
    public let work: [{{name}}Work]
    /// What each task asks for.
    public let resourcesPerTask: Resources
    /// How many times a command is tried in all before it is given up.
    public let maxAttempts: Int

    /// Work waiting for an offer, by index, oldest first.
    private var pending: [Int]
    /// Attempts started so far, by work index.
    private var attempts: [Int: Int] = [:]
    /// Which piece of work each launched task runs.
    private var commandOfTask: [TaskID: Int] = [:]
    /// Work that succeeded, by index.
    public private(set) var succeeded: Set<Int> = []
    /// What each successful task reported (the executor's word count), by work index.
    public private(set) var results: [Int: String] = [:]
    /// Work given up after `maxAttempts` failed attempts, by index.
    public private(set) var gaveUp: Set<Int> = []

    /// A scheduler for `work`, each task asking for `resourcesPerTask`.
    public init(work: [{{name}}Work], resourcesPerTask: Resources = "cpus:0.1;mem:32", maxAttempts: Int = 3) {
        self.work = work
        self.resourcesPerTask = resourcesPerTask
        self.maxAttempts = max(1, maxAttempts)
        pending = Array(work.indices)
    }

    /// Whether every piece of work has succeeded or been given up.
    public var isDone: Bool { succeeded.count + gaveUp.count == work.count }

    /// The task that does piece `index`: a command, or a task for the in-process executor.
    private func task(_ id: TaskID, doing index: Int) -> TaskInfo {
        switch work[index] {
        case .shell(let line):
            TaskInfo(id: id, resources: resourcesPerTask, command: .shell(line))
        case .countWords(let text):
            TaskInfo(id: id, resources: resourcesPerTask, executor: {{name}}Executor.info, labels: [{{name}}Executor.textLabel: text])
        }
    }

    /// Packs as many waiting pieces of work as fit into each offer; declines the rest.
    public func resourceOffers(_ driver: any SchedulerDriver, offers: [Offer]) async throws {
        for offer in offers {
            var left = offer.resources
            var tasks: [TaskInfo] = []
            while let index = pending.first, left.contains(resourcesPerTask) {
                pending.removeFirst()
                let attempt = attempts[index, default: 0] + 1
                attempts[index] = attempt
                let id = TaskID("work-\(index)-attempt-\(attempt)")
                commandOfTask[id] = index
                tasks.append(task(id, doing: index))
                left -= resourcesPerTask
            }
            try await driver.launch(tasks, on: offer)
        }
        if pending.isEmpty { try await driver.suppress() }
    }

    /// Counts successes, retries failures, and stops the framework when all the work is settled.
    public func statusUpdate(_ driver: any SchedulerDriver, status: TaskStatus) async throws {
        guard status.state.isTerminal, let index = commandOfTask.removeValue(forKey: status.taskID) else { return }
        if status.state == .finished {
            succeeded.insert(index)
            if let message = status.message { results[index] = message }
        } else if attempts[index, default: 0] < maxAttempts {
            pending.append(index)
            try await driver.revive()
        } else {
            gaveUp.insert(index)
        }
        if isDone { await driver.stop(failover: false) }
    }
}
