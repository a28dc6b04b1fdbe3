import FoundationEssentials
public import Logging
public import RoostCore

/// Runs ``BatchJob``s to completion on a Roost cluster: a ``Scheduler`` built only on
/// RoostCore's public API.
///
/// - **Offers**: it is offered resources only while some job has a task it may launch now
///   (not backing off, below its parallelism, not suspended): otherwise it suppresses, and it
///   revives when work arrives. Each offer is packed with as many tasks as fit (jobs in
///   submission order, each job's constraints checked), and the rest is declined with
///   ``Configuration/declineFilter``.
/// - **Failover**: every job's state, including each task before it is launched, goes to
///   the ``StateStore`` before the scheduler acts on it, so a new scheduler made with the same
///   store (and subscribed as ``frameworkInfo``, which carries the stored framework ID) picks up
///   where the last one stopped, reconciles its tasks, and never launches a task twice.
/// - **Time** (retry back-off, active deadlines, TTLs) comes from ``Configuration/time``; the
///   timers run in ``run(_:)`` (or ``runTimers()``) beside the driver.
///
/// ```swift
/// let scheduler = try await BatchScheduler(configuration: .init(store: store))
/// try await scheduler.submit(try BatchJob(contentsOf: "job.yaml"))
/// let driver = running.driver(for: await scheduler.frameworkInfo)
/// try await scheduler.run { try await driver.run($0) }
/// ```
public actor BatchScheduler: Scheduler {
    /// The scheduler's settings.
    public struct Configuration: Sendable {
        /// The framework's name; also separates this scheduler's records in the store. Default `batch`.
        public var frameworkName: String
        /// Where jobs and the framework ID are kept. Default a new ``InMemoryStateStore``
        /// (nothing survives the process: pass a ``FileStateStore`` for that).
        public var store: any StateStore
        /// The store keys' prefix: records go under `<keyPrefix>/<frameworkName>/`. Default `frameworks/batch`.
        public var keyPrefix: String
        /// Where the time comes from. Default ``FrameworkTime/system``.
        public var time: FrameworkTime
        /// How long declined resources are not offered again. Default 5 s (Mesos' `refuse_seconds`).
        public var declineFilter: Duration
        /// How long the master keeps the framework's tasks running while no scheduler is
        /// connected, for a new one to take over. Default one week, as Marathon.
        public var failoverTimeout: Duration
        /// Each agent's work directory, so task records carry absolute sandbox paths
        /// (`LocalCluster` puts agent *i*'s under `<work>/agent-<i>`). Default none: relative paths.
        public var agentWorkDirectories: [AgentID: String]
        /// Where the scheduler logs.
        public var logger: Logger

        /// Creates a configuration with the documented defaults.
        public init(
            frameworkName: String = "batch",
            store: any StateStore = InMemoryStateStore(),
            keyPrefix: String = "frameworks/batch",
            time: FrameworkTime = .system,
            declineFilter: Duration = .seconds(5),
            failoverTimeout: Duration = .seconds(7 * 24 * 3600),
            agentWorkDirectories: [AgentID: String] = [:],
            logger: Logger = Logger(label: "roost.batch")
        ) {
            self.frameworkName = frameworkName
            self.store = store
            self.keyPrefix = keyPrefix
            self.time = time
            self.declineFilter = declineFilter
            self.failoverTimeout = failoverTimeout
            self.agentWorkDirectories = agentWorkDirectories
            self.logger = logger
        }
    }

    /// The settings.
    public let configuration: Configuration
    private let records: FrameworkRecords<JobRun>
    private var jobs: [String: JobRun] = [:]
    private var frameworkID: FrameworkID?
    private var driver: (any SchedulerDriver)?
    /// Whether the master was told this framework wants offers.
    private let interest = OfferInterest()
    private let doorbell = Doorbell()

    /// Creates a scheduler and loads the jobs and framework ID a previous scheduler stored.
    /// - Throws: ``StateStoreError`` when the store cannot be read, or holds a record that
    ///   does not decode (the message names the key).
    public init(configuration: Configuration = Configuration()) async throws {
        self.configuration = configuration
        records = try FrameworkRecords(
            store: configuration.store, prefix: configuration.keyPrefix, framework: configuration.frameworkName, collection: "jobs")
        frameworkID = try await records.frameworkID()
        for run in try await records.all() { jobs[run.name] = run }
    }

    /// What to subscribe as: the framework's name, the stored ID (so a new scheduler fails
    /// over to the old one's tasks), the failover timeout, and checkpointing on.
    public var frameworkInfo: FrameworkInfo {
        FrameworkInfo(id: frameworkID, name: configuration.frameworkName, failoverTimeout: configuration.failoverTimeout, checkpoint: true)
    }

    // MARK: Jobs

    /// Validates and stores `job`, then starts running it (unless it is suspended).
    /// - Throws: ``BatchSpecError`` for a bad spec; ``BatchSchedulerError`` with `jobExists`
    ///   when a job of that name is kept; ``StateStoreError`` when it cannot be stored.
    public func submit(_ job: BatchJob) async throws {
        try job.validate()
        guard jobs[job.name] == nil else {
            throw BatchSchedulerError(.jobExists, "a job named '\(job.name)' exists; wait for its TTL to end or choose another name")
        }
        let runID = String(UUID().uuidString.lowercased().filter(\.isHexDigit).prefix(5))
        jobs[job.name] = JobRun(spec: job, runID: runID, now: configuration.time.now)
        do {
            try await persist(job.name)
        } catch {
            jobs[job.name] = nil
            throw error
        }
        configuration.logger.info("submitted job \(job.name): \(job.completions) completions, parallelism \(job.parallelism)")
        await changed(workAdded: true)
    }

    /// Suspends a job: its running tasks are killed (not counted as failures) and nothing
    /// runs until ``resume(_:)``. Suspending a suspended or finished job does nothing.
    /// - Throws: ``BatchSchedulerError`` with `unknownJob`; ``StateStoreError``.
    public func suspend(_ name: String) async throws {
        let kills = try mutate(name) { run, now in run.suspend(now: now) }
        try await persist(name)
        await kill(kills)
        await changed(workAdded: false)
    }

    /// Resumes a suspended job; its active deadline counts from now (as in Kubernetes).
    /// - Throws: ``BatchSchedulerError`` with `unknownJob`; ``StateStoreError``.
    public func resume(_ name: String) async throws {
        try mutate(name) { run, now in run.resume(now: now) }
        try await persist(name)
        await changed(workAdded: true)
    }

    /// Changes how many of a job's tasks may run at once; 0 pauses it. Tasks beyond the new
    /// parallelism are killed (newest first) and not counted as failures.
    /// - Throws: ``BatchSchedulerError`` with `unknownJob` or `invalidValue`; ``StateStoreError``.
    public func scale(_ name: String, parallelism: Int) async throws {
        guard (0...BatchJob.maxCompletions).contains(parallelism) else {
            throw BatchSchedulerError(.invalidValue, "parallelism must be between 0 and \(BatchJob.maxCompletions), got \(parallelism)")
        }
        let kills = try mutate(name) { run, _ in run.scale(to: parallelism) }
        try await persist(name)
        await kill(kills)
        await changed(workAdded: true)
    }

    /// Deletes a job's record now, as `kubectl delete job` does for a finished job: the cron
    /// framework calls it to keep only its history limits' worth of runs.
    ///
    /// Only a job with no active task may be deleted: a finished one, or a suspended one whose
    /// tasks have all ended (suspend it first to stop a running job). Deleting an unknown job does nothing.
    /// - Throws: ``BatchSchedulerError`` with `jobActive` when the job has active tasks or may
    ///   still launch some; ``StateStoreError`` when the deletion cannot be stored.
    public func delete(_ name: String) async throws {
        guard let run = jobs[name] else { return }
        let status = run.status
        guard status.active == 0, status.isFinished || status.condition.kind == .suspended else {
            throw BatchSchedulerError(
                .jobActive, "job '\(name)' is \(status.condition.kind.rawValue) with \(status.active) active task(s); suspend it and wait for its tasks to end first")
        }
        jobs[name] = nil
        do {
            try await persist(name)
        } catch {
            jobs[name] = run
            throw error
        }
        configuration.logger.info("job \(name) deleted")
        await changed(workAdded: false)
    }

    /// A job's status, or `nil` when no job has that name (never submitted, or its TTL ended).
    public func status(of name: String) -> JobStatus? { jobs[name]?.status }

    /// Every kept job's status, in submission order.
    public var statuses: [JobStatus] { orderedJobs.map(\.status) }

    // MARK: Scheduler callbacks

    /// Stores the framework ID, then reconciles the tasks a previous scheduler left running.
    public func registered(_ driver: any SchedulerDriver, frameworkID: FrameworkID, master: MasterInfo) async throws {
        self.driver = driver
        if self.frameworkID != frameworkID {
            self.frameworkID = frameworkID
            try await records.saveFrameworkID(frameworkID)
        }
        try await resynchronize(driver)
    }

    /// Reconciles the active tasks and asks again for kills that may have been lost.
    public func reregistered(_ driver: any SchedulerDriver, master: MasterInfo) async throws {
        self.driver = driver
        try await resynchronize(driver)
    }

    /// Packs offers with launchable tasks (stored before they are launched) and declines the rest.
    public func resourceOffers(_ driver: any SchedulerDriver, offers: [Offer]) async throws {
        self.driver = driver
        let now = configuration.time.now
        let order = orderedJobs.map(\.name)
        var plans: [(offer: Offer, tasks: [TaskInfo])] = []
        var touched: Set<String> = []
        for offer in offers {
            var left = offer.resources
            var tasks: [TaskInfo] = []
            if let frameworkID {
                for name in order {
                    guard var run = jobs[name] else { continue }
                    while run.launchable(now: now) > 0, left.contains(run.spec.resources) {
                        if let rejection = run.placementRejection(for: offer) {
                            configuration.logger.trace("job \(name) places no more tasks on offer \(offer.id): \(rejection)")
                            break
                        }
                        let task = run.makeTask(
                            on: offer, sandboxRoot: configuration.agentWorkDirectories[offer.agentID], frameworkID: frameworkID, now: now)
                        tasks.append(task)
                        left -= task.resources
                        touched.insert(name)
                    }
                    jobs[name] = run
                }
            }
            plans.append((offer, tasks))
        }
        for name in touched.sorted() { try await persist(name) }
        for plan in plans {
            do {
                try await driver.launch(plan.tasks, on: plan.offer, filters: Filters(refuse: configuration.declineFilter))
            } catch {
                configuration.logger.warning("launch on offer \(plan.offer.id) refused: \(error); its tasks will be placed again")
                let refused = Set(plan.tasks.map(\.id))
                for name in Set(plan.tasks.compactMap { $0.labels["roost.batch/job"] }) {
                    jobs[name]?.launchRefused(refused, now: configuration.time.now)
                    try await persist(name)
                }
            }
        }
        await changed(workAdded: false)
    }

    /// Records the update in its job (after storing it the driver acknowledges it); kills a
    /// task no job knows.
    public func statusUpdate(_ driver: any SchedulerDriver, status: TaskStatus) async throws {
        self.driver = driver
        guard let name = owner(of: status.taskID), var run = jobs[name] else {
            if !status.state.isTerminal, status.state != .unknown {
                configuration.logger.notice("killing task \(status.taskID): no job owns it")
                try? await driver.kill(status.taskID, agentID: status.agentID)
            }
            return
        }
        if run.hasEnded(status.taskID), !status.state.isTerminal, status.state != .unknown {
            // Its record says it ended (its launch raced a kill, or it came back after being
            // reported lost and was replaced): it must not run beside its replacement.
            configuration.logger.notice("killing task \(status.taskID): reported \(status.state) after it was recorded as ended")
            try? await driver.kill(status.taskID, agentID: status.agentID)
            return
        }
        let before = run
        let kills = run.apply(status, now: configuration.time.now)
        guard run != before else { return }
        jobs[name] = run
        try await persist(name)
        if before.status.condition.kind != run.status.condition.kind {
            let condition = run.status.condition
            configuration.logger.info("job \(name) is \(condition.kind.rawValue)\(condition.reason.map { " (\($0))" } ?? ""): \(condition.message)")
        }
        await kill(kills)
        await changed(workAdded: status.state.isTerminal)
    }

    // MARK: Timers

    /// Runs the timers beside the driver: `driverLoop` (typically `{ try await driver.run($0) }`)
    /// and ``runTimers()`` together, until `driverLoop` returns.
    /// - Throws: what `driverLoop` throws.
    public nonisolated func run(_ driverLoop: @escaping @Sendable (BatchScheduler) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.runTimers() }
            defer { group.cancelAll() }
            try await driverLoop(self)
        }
    }

    /// Acts on time until the task is cancelled: retries whose back-off ended, jobs past their
    /// active deadline (failed, tasks killed), finished jobs past their TTL (deleted).
    /// Sleeps on ``Configuration/time`` until the next such moment or until a change moves it.
    public func runTimers() async {
        await configuration.time.runTimers(wakingOn: doorbell) { await tick() }
    }

    /// Applies what is due now; returns the next moment something is due.
    private func tick() async -> Timestamp? {
        let now = configuration.time.now
        for name in jobs.keys.sorted() {
            guard var run = jobs[name] else { continue }
            if run.isExpired(now: now) {
                jobs[name] = nil
                configuration.logger.info("job \(name) deleted: its ttlSecondsAfterFinished ended")
                await persistLogging(name)
                continue
            }
            let kills = run.checkDeadline(now: now)
            guard run != jobs[name] else { continue }
            jobs[name] = run
            configuration.logger.info("job \(name) failed: \(run.status.condition.message)")
            await persistLogging(name)
            await kill(kills)
        }
        await changed(workAdded: false, ringTimers: false)
        return jobs.values.compactMap { $0.nextDeadline(now: now) }.min()
    }

    // MARK: Helpers

    private var orderedJobs: [JobRun] {
        jobs.values.sorted { ($0.submittedAt, $0.name) < ($1.submittedAt, $1.name) }
    }

    /// The job a task belongs to: task IDs are `<job>-<run>-<n>`.
    private func owner(of taskID: TaskID) -> String? {
        let parts = taskID.value.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3 else { return nil }
        let name = parts.dropLast(2).joined(separator: "-")
        return jobs[name]?.owns(taskID) == true ? name : nil
    }

    @discardableResult
    private func mutate<T>(_ name: String, _ body: (inout JobRun, Timestamp) -> T) throws(BatchSchedulerError) -> T {
        guard var run = jobs[name] else {
            throw BatchSchedulerError(.unknownJob, "no job named '\(name)'; known jobs: \(jobs.keys.sorted().joined(separator: ", "))")
        }
        let result = body(&run, configuration.time.now)
        jobs[name] = run
        return result
    }

    private func resynchronize(_ driver: any SchedulerDriver) async throws {
        interest.forget()
        let active = jobs.values.flatMap(\.activeTasks)
        if !active.isEmpty {
            configuration.logger.info("reconciling \(active.count) task(s) left by a previous scheduler or connection")
            try? await driver.reconcile(active.map { ReconcileTask(taskID: $0.taskID, agentID: $0.agentID) })
        }
        await kill(jobs.values.flatMap(\.tasksBeingKilled))
        await changed(workAdded: true)
    }

    private func kill(_ tasks: [TaskRecord]) async {
        guard let driver else { return }
        for task in tasks {
            do { try await driver.kill(task.taskID, agentID: task.agentID) } catch {
                configuration.logger.warning("kill \(task.taskID) failed: \(error); asked again after re-registering")
            }
        }
    }

    /// After any change: suppress offers when nothing can launch now, revive when something can
    /// (also when `workAdded`, to clear decline filters), and let the timers recompute.
    private func changed(workAdded: Bool, ringTimers: Bool = true) async {
        if ringTimers { doorbell.ring() }
        guard let driver, frameworkID != nil else { return }
        let now = configuration.time.now
        let wanted = jobs.values.contains { $0.launchable(now: now) > 0 }
        do {
            try await interest.update(wanted: wanted, workAdded: workAdded, driver: driver)
        } catch {
            configuration.logger.warning("revive/suppress failed: \(error); retried on the next change")
        }
    }

    /// Writes a job's record (or deletes it when the job is gone), in order with other writes:
    /// the record written is the newest state when the write starts.
    private func persist(_ name: String) async throws {
        try await records.write(name) { jobs[name] }
    }

    private func persistLogging(_ name: String) async {
        do { try await persist(name) } catch {
            configuration.logger.error("cannot store job \(name): \(error)")
        }
    }
}
