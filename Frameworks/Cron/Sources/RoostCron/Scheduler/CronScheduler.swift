import FoundationEssentials
public import Logging
public import RoostBatch
public import RoostCore

/// Runs ``CronJob``s: submits a batch job to its own ``BatchScheduler`` each time a cron job's
/// schedule fires, as Kubernetes' CronJob controller creates Jobs. A ``Scheduler`` built only
/// on RoostCore's public API; every task is handled by the batch scheduler it owns.
///
/// - **Time** comes from ``Configuration/time`` (a ``FrameworkTime``, shared with the batch
///   scheduler), so a test moves a manual clock through days of schedule in milliseconds. The
///   timer loop (``runTimers()``, or ``run(_:)`` beside the driver) sleeps until the next
///   scheduled time and fires the run then.
/// - **Failover**: each cron job's schedule state (the last scheduled time acted on, active
///   runs, history, misses) is written to the ``StateStore`` before the run's batch job is
///   submitted, with a compare-and-set on the record's version. A scheduler made later with
///   the same store resumes from there: a time already acted on never fires again, and a run
///   recorded but not yet submitted is submitted. If another scheduler writes a record first,
///   this one stops acting on that cron job (error code `fenced`).
/// - **Missed runs**: times that passed while no scheduler ran (or while the cron job was
///   suspended) are started if still within `startingDeadlineSeconds`, else recorded as missed;
///   more than ``Configuration/maxMissedReplays`` at once are recorded as one miss and only the
///   latest is considered, as Kubernetes does.
///
/// ```swift
/// let scheduler = try await CronScheduler(configuration: .init(store: store))
/// for job in try CronJob.load(contentsOf: "cronjobs.yaml") { try await scheduler.add(job) }
/// let driver = running.driver(for: await scheduler.frameworkInfo)
/// try await scheduler.run { try await driver.run($0) }
/// ```
public actor CronScheduler: Scheduler {
    /// The scheduler's settings.
    public struct Configuration: Sendable {
        /// The framework's name; also separates this scheduler's records in the store. Default `cron`.
        public var frameworkName: String
        /// Where cron job state, the runs' batch jobs and the framework ID are kept. Default a
        /// new ``InMemoryStateStore`` (nothing survives the process).
        public var store: any StateStore
        /// The cron records go under `<keyPrefix>/<frameworkName>/cronjobs/`, the runs' batch
        /// records under `<keyPrefix>/<frameworkName>/runs/`. Default `frameworks/cron`.
        public var keyPrefix: String
        /// Where the time comes from (also the batch scheduler's). Default ``FrameworkTime/system``.
        public var time: FrameworkTime
        /// How many missed-run entries each cron job keeps. Default 20.
        public var missedHistoryLimit: Int
        /// More missed times than this are not replayed one by one. Default 100, Kubernetes' limit.
        public var maxMissedReplays: Int
        /// The batch scheduler's decline filter. Default 5 s (Mesos' `refuse_seconds`).
        public var declineFilter: Duration
        /// How long the master keeps the framework's tasks while no scheduler is connected.
        /// Default one week, as Marathon.
        public var failoverTimeout: Duration
        /// Each agent's work directory, for absolute sandbox paths in run status. Default none.
        public var agentWorkDirectories: [AgentID: String]
        /// Where the scheduler (and its batch scheduler) logs.
        public var logger: Logger

        /// Creates a configuration with the documented defaults.
        public init(
            frameworkName: String = "cron",
            store: any StateStore = InMemoryStateStore(),
            keyPrefix: String = "frameworks/cron",
            time: FrameworkTime = .system,
            missedHistoryLimit: Int = 20,
            maxMissedReplays: Int = 100,
            declineFilter: Duration = .seconds(5),
            failoverTimeout: Duration = .seconds(7 * 24 * 3600),
            agentWorkDirectories: [AgentID: String] = [:],
            logger: Logger = Logger(label: "roost.cron")
        ) {
            self.frameworkName = frameworkName
            self.store = store
            self.keyPrefix = keyPrefix
            self.time = time
            self.missedHistoryLimit = missedHistoryLimit
            self.maxMissedReplays = maxMissedReplays
            self.declineFilter = declineFilter
            self.failoverTimeout = failoverTimeout
            self.agentWorkDirectories = agentWorkDirectories
            self.logger = logger
        }
    }

    /// The settings.
    public let configuration: Configuration
    /// The batch scheduler that runs every run's batch job (look up a run's tasks with
    /// ``BatchScheduler/status(of:)`` and the run's ``CronRun/jobName``).
    public let batch: BatchScheduler
    private let cronJobsKey: StateKey
    private var states: [String: CronJobState] = [:]
    private var versions: [String: StateVersion] = [:]
    private var fenced: Set<String> = []
    private let doorbell = Doorbell()
    /// Runs cron operations one at a time: actor methods interleave at every `await`, and a
    /// cron job's state must not.
    private let gate = SerialGate()

    /// Creates a scheduler and loads the cron jobs (and, in its batch scheduler, the runs) a
    /// previous scheduler stored.
    /// - Throws: ``StateStoreError`` when the store cannot be read or holds a record that does
    ///   not decode (the message names the key).
    public init(configuration: Configuration = Configuration()) async throws {
        self.configuration = configuration
        let root = try StateKey(configuration.keyPrefix).appending(configuration.frameworkName)
        cronJobsKey = try root.appending("cronjobs")
        batch = try await BatchScheduler(configuration: .init(
            frameworkName: configuration.frameworkName, store: configuration.store, keyPrefix: "\(root.path)/runs",
            time: configuration.time, declineFilter: configuration.declineFilter, failoverTimeout: configuration.failoverTimeout,
            agentWorkDirectories: configuration.agentWorkDirectories, logger: configuration.logger))
        for key in try await configuration.store.list(prefix: cronJobsKey) where key != cronJobsKey {
            guard let stored = try await configuration.store.getJSON(key, as: CronJobState.self) else { continue }
            states[stored.value.spec.name] = stored.value
            versions[stored.value.spec.name] = stored.version
        }
    }

    /// What to subscribe as (the batch scheduler's: the stored framework ID, so a new
    /// scheduler fails over to the old one's tasks).
    public var frameworkInfo: FrameworkInfo { get async { await batch.frameworkInfo } }

    // MARK: Cron jobs

    /// Validates and stores `job`; its schedule counts from now (the first run is the first
    /// scheduled time after now).
    /// - Throws: ``CronSpecError`` for a bad spec; ``CronSchedulerError`` with `cronJobExists`;
    ///   ``StateStoreError`` when it cannot be stored.
    public func add(_ job: CronJob) async throws {
        try job.validate()
        try await gate.run {
            guard states[job.name] == nil else {
                throw CronSchedulerError(.cronJobExists, "a cron job named '\(job.name)' exists; choose another name")
            }
            var state = CronJobState(spec: job, createdAt: configuration.time.now)
            state.spec.jobTemplate.name = job.name
            states[job.name] = state
            do { try await persist(job.name) } catch {
                states[job.name] = nil
                throw error
            }
            let next = state.nextRunTime.map { job.schedule.formatted($0.date) } ?? "never"
            configuration.logger.info("cron job \(job.name) added: \(job.schedule) (\(job.schedule.timeZone.identifier)), next run \(next)")
        }
        doorbell.ring()
    }

    /// Suspends scheduling a cron job: no run starts until ``resume(_:)``; active runs go on.
    /// - Throws: ``CronSchedulerError`` with `unknownCronJob`; ``StateStoreError``.
    public func suspend(_ name: String) async throws { try await setSuspended(name, true) }

    /// Resumes scheduling: times missed while suspended start if within the starting deadline.
    /// - Throws: ``CronSchedulerError`` with `unknownCronJob`; ``StateStoreError``.
    public func resume(_ name: String) async throws { try await setSuspended(name, false) }

    /// Starts a run now, outside the schedule, as `kubectl create job --from=cronjob/<name>` and
    /// Nomad's `job periodic force`; the concurrency policy applies. Returns the run's batch job name.
    /// - Throws: ``CronSchedulerError``: `unknownCronJob`, `concurrencyForbidden` (policy
    ///   Forbid with an active run), `runExists` (another run started this second), `fenced`;
    ///   ``StateStoreError``; what ``BatchScheduler/submit(_:)`` throws.
    @discardableResult
    public func trigger(_ name: String) async throws -> String {
        try await gate.run {
            let now = configuration.time.now
            // Scheduled times up to now first, so a manual run never takes a scheduled run's name.
            try await fireDue(name, now: now)
            guard var state = states[name] else { throw unknown(name) }
            let actions = try state.trigger(now: now)
            states[name] = state
            try await persist(name)
            try await perform(actions, for: name)
            return actions.submit[actions.submit.count - 1].jobName
        }
    }

    /// A cron job's status, or `nil` when no cron job has that name.
    public func status(of name: String) -> CronJobStatus? { states[name]?.status }

    /// Every cron job's status, by name.
    public var statuses: [CronJobStatus] { states.keys.sorted().compactMap { states[$0]?.status } }

    // MARK: Scheduler callbacks

    /// Passes the registration to the batch scheduler.
    public func registered(_ driver: any SchedulerDriver, frameworkID: FrameworkID, master: MasterInfo) async throws {
        try await batch.registered(driver, frameworkID: frameworkID, master: master)
        doorbell.ring()
    }

    /// Passes the re-registration to the batch scheduler.
    public func reregistered(_ driver: any SchedulerDriver, master: MasterInfo) async throws {
        try await batch.reregistered(driver, master: master)
        doorbell.ring()
    }

    /// Passes offers to the batch scheduler, which launches the runs' tasks.
    public func resourceOffers(_ driver: any SchedulerDriver, offers: [Offer]) async throws {
        try await batch.resourceOffers(driver, offers: offers)
    }

    /// Passes the update to the batch scheduler, then lets the timer loop record finished runs.
    public func statusUpdate(_ driver: any SchedulerDriver, status: TaskStatus) async throws {
        try await batch.statusUpdate(driver, status: status)
        if status.state.isTerminal { doorbell.ring() }
    }

    // MARK: Timers

    /// Runs the timers beside the driver: `driverLoop` (typically `{ try await driver.run($0) }`)
    /// and ``runTimers()`` together, until `driverLoop` returns.
    /// - Throws: what `driverLoop` throws.
    public nonisolated func run(_ driverLoop: @escaping @Sendable (CronScheduler) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.runTimers() }
            defer { group.cancelAll() }
            try await driverLoop(self)
        }
    }

    /// Acts on time until the task is cancelled: fires due runs, records finished ones, and
    /// runs the batch scheduler's timers. Sleeps on ``Configuration/time`` until the next
    /// scheduled time, or until a change (a new cron job, a finished task) wakes it.
    public nonisolated func runTimers() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.batch.runTimers() }
            group.addTask { await self.cronTimers() }
        }
    }

    private func cronTimers() async {
        await configuration.time.runTimers(wakingOn: doorbell) { await runDue() }
    }

    /// Acts on what is due now, once: records finished runs, starts or records as missed every
    /// scheduled time up to now, stops replaced runs and deletes runs past the history limits.
    /// Returns the next scheduled time of any cron job that is not suspended.
    ///
    /// ``runTimers()`` calls it whenever it wakes. Call it yourself when you drive time by hand,
    /// such as from `SimulatedCluster.at(_:perform:)` (deterministic timers), instead of
    /// running the timer loop. Errors are logged per cron job, not thrown.
    @discardableResult
    public func runDue() async -> Timestamp? {
        await gate.run { await tick() }
    }

    /// Records finished runs, fires what is due, cleans up; returns the next scheduled time.
    private func tick() async -> Timestamp? {
        let now = configuration.time.now
        for name in states.keys.sorted() where !fenced.contains(name) {
            do {
                try await fireDue(name, now: now)
            } catch {
                configuration.logger.error("cron job \(name): \(error)")
            }
        }
        return states.filter { !fenced.contains($0.key) }.values.compactMap(\.nextRunTime).min()
    }

    /// Brings one cron job up to date, then acts on its scheduled times up to `now`: the new
    /// state is stored before any run is submitted.
    private func fireDue(_ name: String, now: Timestamp) async throws {
        try await refresh(name)
        guard var state = states[name] else { throw unknown(name) }
        let before = state
        let actions = state.fireDue(now: now, maxReplays: configuration.maxMissedReplays, missedLimit: configuration.missedHistoryLimit)
        guard state != before else { return }
        states[name] = state
        for missed in state.missed where !before.missed.contains(missed) {
            configuration.logger.notice("cron job \(name): missed (\(missed.reason)): \(missed.message)")
        }
        try await persist(name)
        try await perform(actions, for: name)
    }

    // MARK: Helpers

    /// Brings a cron job up to date with its runs' batch jobs: records finished runs, submits
    /// recorded runs the batch scheduler does not know (a scheduler stopped between storing
    /// and submitting; past the starting deadline they are recorded as missed instead), stops
    /// replaced runs and deletes runs past the history limits.
    private func refresh(_ name: String) async throws {
        guard var state = states[name] else { throw unknown(name) }
        if fenced.contains(name) {
            throw CronSchedulerError(.fenced, "another scheduler changed cron job \(name)'s stored state; this scheduler no longer acts on it")
        }
        let now = configuration.time.now
        var unsubmitted: [CronRun] = []
        for run in state.active {
            guard let status = await batch.status(of: run.jobName) else {
                if state.abandonIfLate(run.jobName, now: now, limit: configuration.missedHistoryLimit) {
                    configuration.logger.notice("cron job \(name): run \(run.jobName) was never submitted and is past its starting deadline; recorded as missed")
                } else {
                    unsubmitted.append(run)
                }
                continue
            }
            if status.isFinished {
                state.finish(run.jobName, status: status, now: now)
                configuration.logger.info("cron job \(name): run \(run.jobName) \(status.condition.kind.rawValue.lowercased())")
            }
        }
        for job in state.stopping {
            guard let status = await batch.status(of: job), !status.isFinished else {
                state.stopping.removeAll { $0 == job }
                continue
            }
            if status.condition.kind != .suspended { try? await batch.suspend(job) }
            if await batch.status(of: job)?.active == 0 { state.stopping.removeAll { $0 == job } }
        }
        for job in state.deleting {
            guard let status = await batch.status(of: job) else {
                state.deleting.removeAll { $0 == job }
                continue
            }
            if !status.isFinished, status.condition.kind != .suspended { try? await batch.suspend(job) }
            if (try? await batch.delete(job)) != nil, await batch.status(of: job) == nil {
                state.deleting.removeAll { $0 == job }
            }
        }
        if state != states[name] {
            states[name] = state
            try await persist(name)
        }
        for run in unsubmitted {
            configuration.logger.notice("cron job \(name): run \(run.jobName) was recorded but not submitted (a scheduler stopped in between); submitting it")
            try await submit(run, of: state.spec)
        }
    }

    private func perform(_ actions: CronJobState.Actions, for name: String) async throws {
        guard let spec = states[name]?.spec else { return }
        for job in actions.stop {
            configuration.logger.info("cron job \(name): stopping run \(job) (replaced)")
            try? await batch.suspend(job)
        }
        for run in actions.submit { try await submit(run, of: spec) }
    }

    private func submit(_ run: CronRun, of spec: CronJob) async throws {
        do {
            try await batch.submit(spec.runJob(at: run.scheduledTime))
            let kind = run.manual ? "manual run" : "run"
            configuration.logger.info("cron job \(spec.name): \(kind) \(run.jobName) started (scheduled \(spec.schedule.formatted(run.scheduledTime.date)))")
        } catch let error as BatchSchedulerError where error.code == .jobExists {
            // Submitted before a failover; the batch scheduler has it.
        }
    }

    private func setSuspended(_ name: String, _ suspended: Bool) async throws {
        try await gate.run {
            guard var state = states[name] else { throw unknown(name) }
            guard state.spec.suspend != suspended else { return }
            state.spec.suspend = suspended
            states[name] = state
            try await persist(name)
            configuration.logger.info("cron job \(name) \(suspended ? "suspended" : "resumed")")
        }
        doorbell.ring()
    }

    private func unknown(_ name: String) -> CronSchedulerError {
        CronSchedulerError(.unknownCronJob, "no cron job named '\(name)'; known: \(states.keys.sorted().joined(separator: ", "))")
    }

    /// Stores a cron job's state if nobody else changed it since this scheduler read or wrote it.
    private func persist(_ name: String) async throws {
        guard let state = states[name] else { return }
        let key = try cronJobsKey.appending(name)
        let expected: ExpectedVersion = versions[name].map { .exactly($0) } ?? .absent
        let result: Result<StateVersion, StateStoreError>
        do {
            result = .success(try await configuration.store.putJSON(key, state, expecting: expected))
        } catch {
            result = .failure(error)
        }
        switch result {
        case .success(let version):
            versions[name] = version
        case .failure(let error) where error.code != .versionMismatch:
            throw error
        case .failure(let error):
            fenced.insert(name)
            configuration.logger.error("cron job \(name): another scheduler changed its stored state; this scheduler stops acting on it")
            throw CronSchedulerError(.fenced, "another scheduler changed cron job \(name)'s stored state (\(error.message)); this scheduler no longer acts on it")
        }
    }
}
