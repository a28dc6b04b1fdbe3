import RoostCore

/// One job's bookkeeping: a pure state machine fed launches, status updates and `now`,
/// returning what to kill. No I/O and no clock: ``BatchScheduler`` does both, and persists
/// the whole value (JSON) after every change, so a new scheduler resumes exactly here.
struct JobRun: Hashable, Sendable, Codable {
    /// The spec; `parallelism` and `suspend` change when the job is scaled or suspended.
    var spec: BatchJob
    /// A short random ID of this run, in every task ID, so a job submitted again under the
    /// same name never reuses a task ID (or its sandbox).
    var runID: String
    /// When the job was submitted; jobs are served in this order.
    var submittedAt: Timestamp
    var status: JobStatus
    /// The number of the next task launched (task IDs are `<job>-<run>-<n>`).
    var nextTaskNumber = 0
    /// No task is launched before this time after a counted failure (Kubernetes' back-off).
    var retryNotBefore: Timestamp?

    init(spec: BatchJob, runID: String, now: Timestamp) {
        self.spec = spec
        self.runID = runID
        submittedAt = now
        let initial = spec.suspend
            ? JobCondition(kind: .suspended, message: "submitted suspended", since: now)
            : JobCondition(kind: .pending, message: "waiting for offers", since: now)
        status = JobStatus(name: spec.name, initial: initial)
        if !spec.suspend { status.startTime = now }
        if !spec.suspend, spec.completions == 0 {
            finish(.succeeded, reason: nil, message: "0 completions requested", now: now)
        }
    }

    var name: String { spec.name }
    var isFinished: Bool { status.isFinished }
    var isSuspended: Bool { status.condition.kind == .suspended }
    var activeTasks: [TaskRecord] { status.tasks.filter(\.isActive) }

    // MARK: What to launch

    /// Indexes that neither succeeded nor have an active task, lowest first (indexed jobs).
    private var pendingIndexes: [Int] {
        let taken = Set(status.completedIndexes).union(activeTasks.compactMap(\.index))
        return (0..<spec.completions).filter { !taken.contains($0) }
    }

    /// How many tasks still have to be started before the job can complete.
    var remainingToStart: Int {
        guard !isFinished else { return 0 }
        switch spec.completionMode {
        case .indexed: return pendingIndexes.count
        case .nonIndexed: return max(0, spec.completions - status.succeeded - status.active)
        }
    }

    /// How many tasks may be launched now: the job is active, not backing off, and below
    /// its parallelism.
    func launchable(now: Timestamp) -> Int {
        guard !isFinished, !isSuspended else { return 0 }
        if let retryNotBefore, now < retryNotBefore { return 0 }
        return min(max(0, spec.parallelism - status.active), remainingToStart)
    }

    /// Why `offer` may not take one more of this job's tasks under its constraints, or `nil`
    /// when it may. The job's active tasks (including those made earlier in this offer cycle)
    /// are the placed instances.
    func placementRejection(for offer: Offer) -> PlacementRejection? {
        spec.constraints.firstRejection(offer: offer, placed: activeTasks.map(\.placement))
    }

    /// Records a new task on `offer`'s agent and returns what to launch. Call only when
    /// ``launchable(now:)`` is positive and ``placementRejection(for:)`` is `nil`.
    mutating func makeTask(on offer: Offer, sandboxRoot: String?, frameworkID: FrameworkID, now: Timestamp) -> TaskInfo {
        let index = spec.completionMode == .indexed ? pendingIndexes.first : nil
        let attempt = 1 + status.tasks.filter { $0.index == index && $0.outcome != .stopped }.count
        let taskID = TaskID("\(name)-\(runID)-\(nextTaskNumber)")
        nextTaskNumber += 1
        var environment = spec.environment
        environment["ROOST_JOB_NAME"] = name
        if let index {
            environment["ROOST_JOB_INDEX"] = "\(index)"
            environment["ROOST_JOB_ATTEMPT"] = "\(attempt)"
        }
        var labels = ["roost.batch/job": name]
        if let index { labels["roost.batch/index"] = "\(index)" }
        let placement = spec.constraints.placementValues(in: offer)
        let relative = "frameworks/\(frameworkID.value)/executors/roost-command-executor/runs/\(taskID.value)"
        status.tasks.append(TaskRecord(
            taskID: taskID, index: index, attempt: index == nil ? 1 : attempt, agentID: offer.agentID, state: .staging,
            exitCode: nil, message: nil, outcome: nil, launchedAt: now, finishedAt: nil,
            sandbox: sandboxRoot.map { "\($0)/\(relative)" } ?? relative, placement: placement, killRequested: false))
        recount()
        return TaskInfo(
            id: taskID, name: index.map { "\(name)[\($0)]" } ?? name, agentID: offer.agentID, resources: spec.resources,
            command: spec.command, environment: environment, labels: labels, killGracePeriod: spec.killGracePeriod)
    }

    /// Forgets tasks whose launch the master refused before they reached an agent.
    mutating func launchRefused(_ taskIDs: Set<TaskID>, now: Timestamp) {
        for i in status.tasks.indices where taskIDs.contains(status.tasks[i].taskID) && status.tasks[i].isActive {
            end(at: i, state: .dropped, outcome: .stopped, message: "the launch was refused", now: now)
        }
        recount()
    }

    // MARK: Status updates

    /// Whether the job has a task with this ID.
    func owns(_ taskID: TaskID) -> Bool { status.tasks.contains { $0.taskID == taskID } }

    /// Whether the task is recorded as ended.
    func hasEnded(_ taskID: TaskID) -> Bool { status.tasks.contains { $0.taskID == taskID && !$0.isActive } }

    /// Applies a status update; returns the tasks to kill (when the update ended the job).
    /// An update for a task already ended is a duplicate (resent, or a reconciliation answer)
    /// and changes nothing.
    mutating func apply(_ update: TaskStatus, now: Timestamp) -> [TaskRecord] {
        guard let i = status.tasks.firstIndex(where: { $0.taskID == update.taskID }), status.tasks[i].isActive else { return [] }
        status.tasks[i].message = update.message ?? status.tasks[i].message
        if let exitCode = update.exitCode { status.tasks[i].exitCode = exitCode }
        if update.reason == .reconciliation, [.lost, .gone, .unknown].contains(update.state) {
            // The master does not know the task (its launch never arrived, or its agent is
            // gone): it is not running, and nothing says it failed, so it is retried uncounted.
            end(at: i, state: update.state == .unknown ? .lost : update.state, outcome: .stopped, message: update.message, now: now)
            recount()
            return []
        }
        guard update.state.isTerminal else {
            if update.state != .unknown { status.tasks[i].state = update.state }
            if update.state == .running, status.condition.kind == .pending {
                transition(to: JobCondition(kind: .running, message: "task \(update.taskID) is running", since: now))
            }
            return []
        }
        let task = status.tasks[i]
        if update.state == .finished {
            end(at: i, state: .finished, outcome: .succeeded, message: update.message, now: now)
            if let index = task.index, !status.completedIndexes.contains(index) {
                status.completedIndexes.append(index)
                status.completedIndexes.sort()
            }
            recount()
            if !isFinished, status.succeeded >= spec.completions {
                return finish(.succeeded, reason: nil, message: "\(status.succeeded) of \(spec.completions) completions succeeded", now: now)
            }
            return []
        }
        if task.killRequested || isFinished || isSuspended {
            end(at: i, state: update.state, outcome: .stopped, message: update.message, now: now)
            recount()
            return []
        }
        let what = "task \(task.taskID) \(update.message ?? "ended \(update.state)")"
        let rule = update.state == .failed ? spec.failureRules.enumerated().first { $0.element.matches(exitCode: update.exitCode) } : nil
        switch rule?.element.action {
        case .ignore:
            end(at: i, state: update.state, outcome: .ignored, message: update.message, now: now)
            recount()
            return []
        case .failJob:
            end(at: i, state: update.state, outcome: .failed, message: update.message, now: now)
            recount()
            return finish(.failed, reason: .failedByRule, message: "\(what); failure rule \(rule!.offset) fails the job", now: now)
        case .count, nil:
            end(at: i, state: update.state, outcome: .failed, message: update.message, now: now)
            recount()
            if status.failed > spec.backoffLimit {
                return finish(.failed, reason: .backoffLimitExceeded,
                              message: "\(what); \(status.failed) failures exceed backoffLimit \(spec.backoffLimit)", now: now)
            }
            retryNotBefore = now.advanced(by: spec.retryDelay(afterFailures: status.failed))
            return []
        }
    }

    // MARK: Time, suspension, scaling

    /// When this job next needs the scheduler's attention without any event: a retry
    /// becoming allowed, the active deadline, or the end of its TTL.
    func nextDeadline(now: Timestamp) -> Timestamp? {
        if isFinished {
            guard let ttl = spec.ttlAfterFinished, let completed = status.completionTime else { return nil }
            return completed.advanced(by: ttl)
        }
        var times: [Timestamp] = []
        if let retryNotBefore, retryNotBefore > now, remainingToStart > 0, !isSuspended { times.append(retryNotBefore) }
        if let deadline = activeDeadline { times.append(deadline) }
        return times.min()
    }

    private var activeDeadline: Timestamp? {
        guard !isSuspended, !isFinished, let limit = spec.activeDeadline, let start = status.startTime else { return nil }
        return start.advanced(by: limit)
    }

    /// Fails the job if its active deadline has passed; returns the tasks to kill.
    mutating func checkDeadline(now: Timestamp) -> [TaskRecord] {
        guard let deadline = activeDeadline, now >= deadline, let limit = spec.activeDeadline else { return [] }
        return finish(.failed, reason: .deadlineExceeded, message: "the job was active longer than activeDeadlineSeconds (\(limit.seconds) s)", now: now)
    }

    /// Whether the job's TTL after finishing has run out, so its record can be deleted.
    func isExpired(now: Timestamp) -> Bool {
        guard isFinished, let ttl = spec.ttlAfterFinished, let completed = status.completionTime else { return false }
        return now >= completed.advanced(by: ttl)
    }

    /// Suspends the job: its active tasks are to be killed (not counted). Returns them.
    mutating func suspend(now: Timestamp) -> [TaskRecord] {
        guard !isFinished, !isSuspended else { return [] }
        spec.suspend = true
        transition(to: JobCondition(kind: .suspended, message: "suspended; running tasks are stopped", since: now))
        return requestKill(activeTasks)
    }

    /// Resumes a suspended job; its start time (and so its active deadline) restarts, as in
    /// Kubernetes.
    mutating func resume(now: Timestamp) {
        guard isSuspended else { return }
        spec.suspend = false
        status.startTime = now
        retryNotBefore = nil
        transition(to: JobCondition(kind: .pending, message: "resumed; waiting for offers", since: now))
        if spec.completions == 0 { _ = finish(.succeeded, reason: nil, message: "0 completions requested", now: now) }
    }

    /// Changes the job's parallelism; tasks beyond it (newest first) are to be killed, not
    /// counted. Returns them.
    mutating func scale(to parallelism: Int) -> [TaskRecord] {
        spec.parallelism = parallelism
        let running = activeTasks.filter { !$0.killRequested }
        guard running.count > parallelism else { return [] }
        return requestKill(Array(running.suffix(running.count - parallelism)))
    }

    /// Tasks asked to be killed that have not ended: asked again after a re-registration.
    var tasksBeingKilled: [TaskRecord] { activeTasks.filter(\.killRequested) }

    // MARK: Helpers

    @discardableResult
    private mutating func finish(_ kind: JobCondition.Kind, reason: JobFailureReason?, message: String, now: Timestamp) -> [TaskRecord] {
        status.completionTime = now
        retryNotBefore = nil
        transition(to: JobCondition(kind: kind, reason: reason, message: message, since: now))
        return requestKill(activeTasks)
    }

    private mutating func requestKill(_ tasks: [TaskRecord]) -> [TaskRecord] {
        let ids = Set(tasks.map(\.taskID))
        for i in status.tasks.indices where ids.contains(status.tasks[i].taskID) { status.tasks[i].killRequested = true }
        return status.tasks.filter { ids.contains($0.taskID) }
    }

    private mutating func transition(to condition: JobCondition) {
        status.conditions.append(condition)
    }

    private mutating func end(at i: Int, state: TaskState, outcome: TaskOutcome, message: String?, now: Timestamp) {
        status.tasks[i].state = state
        status.tasks[i].outcome = outcome
        status.tasks[i].finishedAt = now
        if let message { status.tasks[i].message = message }
        switch outcome {
        case .failed: status.failed += 1
        case .ignored: status.ignored += 1
        case .succeeded where status.tasks[i].index == nil: status.succeeded += 1
        case .succeeded, .stopped: break
        }
        // Keep every active task and the newest ended ones.
        let ended = status.tasks.filter { !$0.isActive }
        if ended.count > JobStatus.historyLimit, let oldest = status.tasks.firstIndex(where: { !$0.isActive }) {
            status.tasks.remove(at: oldest)
        }
    }

    /// Recomputes the counts that follow from the task list.
    private mutating func recount() {
        status.active = status.tasks.count { $0.isActive }
        if spec.completionMode == .indexed { status.succeeded = status.completedIndexes.count }
    }
}
