import FoundationEssentials
public import Logging
public import RoostCore

/// The agent runtime: registers with the leading master, runs the tasks it is sent through
/// executors, and delivers every status update until the framework acknowledges it.
///
/// - **Executors.** Tasks with a command go to the command executor (one per
///   framework); tasks naming an ``ExecutorInfo`` go to the in-process executor
///   registered under that name (one instance per framework and executor ID).
///   Each executor gets its calls one at a time, in order, from its own mailbox.
/// - **Accounting.** A task that does not fit what is free is not started; it
///   is reported `TASK_DROPPED`. An agent never runs more than it has.
/// - **Status updates** are kept per task and sent in order, one in flight at a
///   time; the head is resent after `statusUpdateRetry` (doubling up to
///   `statusUpdateRetryMax`, Mesos' 10 s and 10 min) until the master forwards
///   the framework's acknowledgement, and all of them again after re-registering.
/// - **Fencing.** Messages from a master whose epoch is older than the newest
///   seen are ignored.
/// - **Reconnecting.** When the link ends (the master stepped down), the agent
///   connects again and re-registers with every task it runs.
/// - **Recovery.** With a ``Configuration/checkpointDirectory`` the agent records its ID,
///   its frameworks and each task (with its process group) there; restarted with the same
///   directory, it re-attaches to the tasks still running before it reconnects, reports
///   the others `TASK_LOST` (reason `REASON_AGENT_RESTARTED`), resends what was not
///   acknowledged and re-registers under its old ID. See ``run()``.
public actor Agent {
    /// The agent's settings.
    public struct Configuration: Sendable {
        /// The host name the agent reports.
        public var hostname: String
        /// What the agent offers.
        public var resources: Resources
        /// Labels for placement constraints (`rack: r1`).
        public var attributes: [String: String]
        /// First resend of an unacknowledged status update. Default 10 s (Mesos'
        /// `status_update_retry_interval_min`).
        public var statusUpdateRetry: Duration
        /// Cap of the doubling resend interval. Default 10 min (Mesos' `…_max`).
        public var statusUpdateRetryMax: Duration
        /// Wait before reconnecting after a link ends or fails, doubling up to 10 s.
        public var reconnectDelay: Duration
        /// Grace period for tasks killed when the agent shuts down. Default 3 s.
        public var shutdownGracePeriod: Duration
        /// Where the agent checkpoints what it needs to recover its tasks after a restart
        /// (Mesos' `<work_dir>/meta`); `nil`, the default, checkpoints nothing, and a
        /// restarted agent starts afresh.
        ///
        /// The directory is a ``FileStateStore`` of its own (one agent per directory: a
        /// second agent waits, logging, until the first releases it); task records go to an
        /// append-only journal in it (see ``TaskJournal``). Writes are not `fsync`ed:
        /// checkpointing guards against the agent process dying, after which the kernel still
        /// writes what it was given; a store write renames a whole file into place and a
        /// journal record cut short is ignored, so a value is old or new, never torn. A
        /// machine crash kills the tasks too.
        public var checkpointDirectory: String?
        /// How the agent contains tasks; give the same isolator to its command executors.
        /// At start (after recovery) the agent removes containers a previous run left that it
        /// did not re-attach to; at shutdown it removes its own. Default ``ProcessGroupIsolator``.
        public var isolator: any Isolator
        /// How often the agent samples its running tasks' usage (when its isolator accounts
        /// for it) and reports it to the master. Default 10 s, Kubernetes' kubelet
        /// housekeeping interval.
        public var usageInterval: Duration

        /// Creates a configuration with Mesos' defaults for anything not given.
        public init(
            hostname: String,
            resources: Resources,
            attributes: [String: String] = [:],
            statusUpdateRetry: Duration = .seconds(10),
            statusUpdateRetryMax: Duration = .seconds(600),
            reconnectDelay: Duration = .milliseconds(100),
            shutdownGracePeriod: Duration = .seconds(3),
            checkpointDirectory: String? = nil,
            isolator: any Isolator = ProcessGroupIsolator(),
            usageInterval: Duration = .seconds(10)
        ) {
            self.isolator = isolator
            self.usageInterval = usageInterval
            self.hostname = hostname
            self.resources = resources
            self.attributes = attributes
            self.statusUpdateRetry = statusUpdateRetry
            self.statusUpdateRetryMax = statusUpdateRetryMax
            self.reconnectDelay = reconnectDelay
            self.shutdownGracePeriod = shutdownGracePeriod
            self.checkpointDirectory = checkpointDirectory
        }
    }

    /// Makes an executor for a framework (and executor ID).
    public typealias ExecutorFactory = @Sendable (FrameworkID, ExecutorID) -> any RoostCore.Executor

    struct TaskKey: Hashable, Sendable {
        var framework: FrameworkID
        var task: TaskID
    }

    struct ExecutorKey: Hashable, Sendable {
        var framework: FrameworkID
        var executor: ExecutorID
    }

    struct RunningTask: Sendable {
        var info: TaskInfo
        var executor: ExecutorKey
        var state: TaskState
        /// Updates not yet acknowledged, oldest first; the first is in flight.
        var pending: [TaskStatus] = []
        var nextResend: Duration?
        var resendInterval: Duration
        /// Whether the task's resources are still counted as used.
        var holdsResources = true
        /// The task's process group, for command tasks once started (checkpointed).
        var process: ProcessRecord?
        /// Whether the checkpoint holds a record of the task (to delete when it is forgotten).
        var isCheckpointed = false
    }

    /// The command executor's name in ``ExecutorInfo``-less tasks.
    static let commandExecutorID = ExecutorID("roost-command-executor")

    private let configuration: Configuration
    private let transport: any AgentTransport
    private let commandExecutor: ExecutorFactory
    private let executorFactories: [String: ExecutorFactory]
    private let logger: Logger
    private let stopwatch: Stopwatch

    /// The ID the master gave this agent, once registered.
    public private(set) var agentID: AgentID?
    private var newestEpoch = LeaderEpoch(0)
    private var link: AgentLink?
    private var registered = false
    private var free: Resources
    private var frameworks: [FrameworkID: FrameworkInfo] = [:]
    private var tasks: [TaskKey: RunningTask] = [:]
    private var executors: [ExecutorKey: Mailbox] = [:]
    /// The checkpoint writer while ``run()`` runs with a checkpoint directory.
    private var checkpoint: AgentCheckpoint.Writer?
    /// Testing: end ``run()`` as if the process died (see ``crashOnCancel()``).
    private var crashOnCancelRequested = false
    /// Set once a simulated crash ended ``run()``: the agent then ignores its executors.
    private var isDead = false

    /// Creates an agent.
    ///
    /// `commandExecutor` makes the executor for tasks with a command (the agent's
    /// default); `executors` registers in-process executors by the name a task's
    /// ``ExecutorInfo/name`` gives.
    public init<C: Clock>(
        configuration: Configuration,
        transport: any AgentTransport,
        commandExecutor: @escaping ExecutorFactory,
        executors: [String: ExecutorFactory] = [:],
        clock: C,
        logger: Logger = Logger(label: "roost.agent")
    ) where C.Duration == Duration {
        self.configuration = configuration
        self.transport = transport
        self.commandExecutor = commandExecutor
        self.executorFactories = executors
        self.logger = logger
        free = configuration.resources
        stopwatch = Stopwatch(clock)
    }

    /// What is not used by tasks now.
    public var freeResources: Resources { free }

    /// Whether a master has accepted this agent's (re-)registration on the current link.
    public var isRegistered: Bool { registered }

    /// The tasks the agent runs or still reports, with their states.
    public var taskStates: [TaskID: TaskState] {
        Dictionary(tasks.map { ($0.key.task, $0.value.state) }, uniquingKeysWith: { first, _ in first })
    }

    /// Connects, registers and serves until the task is cancelled; then kills every task
    /// (with the shutdown grace period) and tells the master it is gone.
    ///
    /// With a ``Configuration/checkpointDirectory``, first opens it (retrying while another
    /// agent holds it) and recovers: command tasks whose process group still runs are
    /// adopted by a new command executor (``CommandExecutor/adopt(_:task:record:)``); other
    /// unfinished tasks are reported `TASK_LOST` with reason `REASON_AGENT_RESTARTED` (their
    /// outcome is unknown: the group ended while the agent was down, or the in-process
    /// executor died with the agent); unacknowledged updates are queued again. It then
    /// re-registers under the recovered agent ID, reporting every task.
    public func run() async {
        if configuration.checkpointDirectory != nil {
            guard await recover() else { return }
        }
        logger.info("isolation: \(configuration.isolator.kind)")
        let recovered = Set(tasks.filter { !$0.value.state.isTerminal }.map { ContainerID(framework: $0.key.framework, task: $0.key.task) })
        await configuration.isolator.removeStale(keeping: recovered)
        var delay = configuration.reconnectDelay
        while !Task.isCancelled {
            let opened: AgentLink
            do {
                opened = try await transport.connect()
            } catch {
                logger.info("no master reachable (\(error)); retrying in \(delay)")
                try? await stopwatch.sleep(for: delay)
                delay = min(delay * 2, .seconds(10))
                continue
            }
            delay = configuration.reconnectDelay
            link = opened
            await opened.send(registration())
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.resendLoop() }
                group.addTask { await self.usageLoop() }
                for await event in opened.events {
                    await handle(event)
                }
                group.cancelAll()
            }
            // Cancelled: keep the link so shutdown can tell the master the agent is gone.
            if Task.isCancelled { break }
            link = nil
            registered = false
            if !Task.isCancelled {
                logger.info("link to the master closed; reconnecting")
                try? await stopwatch.sleep(for: configuration.reconnectDelay)
            }
        }
        if crashOnCancelRequested {
            // As if the process died: no kills, no goodbye; the checkpoint is left as written.
            isDead = true
            link = nil
            await checkpoint?.finish()
            checkpoint = nil
            return
        }
        await shutdown()
        await configuration.isolator.close()
        await checkpoint?.finish()
        checkpoint = nil
    }

    /// The isolation the agent runs its tasks with.
    public nonisolated var isolation: IsolationKind { configuration.isolator.kind }

    /// Testing: makes the next cancellation of ``run()`` end it as if the agent process had
    /// died: tasks are neither killed nor reported, the master is not told, the checkpoint
    /// directory is released as it was last written, and the agent ignores its executors
    /// from then on (its processes keep running, as they would after a crash).
    func crashOnCancel() {
        crashOnCancelRequested = true
    }

    // MARK: Recovery

    /// Opens the checkpoint and rebuilds the agent's state from it; `false` when cancelled first.
    private func recover() async -> Bool {
        guard let directory = configuration.checkpointDirectory else { return true }
        var delay = configuration.reconnectDelay
        let store: FileStateStore
        var journal: TaskJournal
        var journaled: [String: [UInt8]]
        while true {
            do {
                let opened = try FileStateStore(configuration: .init(directory: directory, fsync: false))
                (journal, journaled) = try TaskJournal.open(directory: directory, logger: logger)
                store = opened
                break
            } catch {
                logger.error("cannot open the checkpoint directory (\(error.message)); retrying in \(delay)")
                do { try await stopwatch.sleep(for: delay) } catch { return false }
                delay = min(delay * 2, .seconds(10))
            }
        }
        do {
            // Task records an agent from before the journal kept as store keys move into it
            // (appended before the key is deleted, so a crash meanwhile loses neither).
            for key in try await store.list(prefix: AgentCheckpoint.tasksKey) where AgentCheckpoint.isTaskKey(key) {
                if journaled[key.path] == nil, let value = try await store.get(key)?.value {
                    try journal.append([(key.path, value)])
                    journaled[key.path] = value
                }
                try await store.delete(key, expecting: .any)
            }
        } catch {
            logger.error("cannot move the checkpoint's task records into the task journal (\(error.message)); they are read from where they are")
        }
        let writer = AgentCheckpoint.Writer(store: store, journal: journal, logger: logger)
        checkpoint = writer
        do {
            if let record = try await store.getJSON(AgentCheckpoint.agentKey, as: AgentCheckpoint.AgentRecord.self) {
                agentID = record.value.agentID
            }
            for key in try await store.list(prefix: AgentCheckpoint.frameworksKey) where key != AgentCheckpoint.frameworksKey {
                if let info = try await store.getJSON(key, as: FrameworkInfo.self)?.value, let id = info.id { frameworks[id] = info }
            }
            var records: [AgentCheckpoint.TaskRecord] = []
            for key in try await store.list(prefix: AgentCheckpoint.tasksKey) where AgentCheckpoint.isTaskKey(key) && journaled[key.path] == nil {
                if let record = try await store.getJSON(key, as: AgentCheckpoint.TaskRecord.self)?.value { records.append(record) }
            }
            let decoder = JSONDecoder()
            for (key, value) in journaled {
                do {
                    records.append(try decoder.decode(AgentCheckpoint.TaskRecord.self, from: Data(value)))
                } catch {
                    logger.error("the task journal's record of \(key) cannot be read (\(error)); that task is not recovered")
                }
            }
            for record in records.sorted(by: { ($0.frameworkID, $0.task.id) < ($1.frameworkID, $1.task.id) }) {
                await recover(record)
            }
        } catch {
            logger.error("the checkpoint cannot be read (\(error.message)); starting with what was recovered so far")
        }
        if let agentID { logger.info("recovered from the checkpoint as agent \(agentID) with \(tasks.count) task(s)") }
        return true
    }

    /// Re-attaches to one checkpointed task, or reports it lost.
    private func recover(_ record: AgentCheckpoint.TaskRecord) async {
        let key = TaskKey(framework: record.frameworkID, task: record.task.id)
        let executorKey = ExecutorKey(framework: record.frameworkID, executor: record.executorID)
        var task = RunningTask(info: record.task, executor: executorKey, state: record.state, pending: record.pending,
                               resendInterval: configuration.statusUpdateRetry, holdsResources: false, process: record.process,
                               isCheckpointed: true)
        guard !record.state.isTerminal else {
            tasks[key] = task  // its terminal update only waits for an acknowledgement
            return
        }
        let checkpointing = frameworks[record.frameworkID]?.checkpoint == true
        if checkpointing, record.executorID == Self.commandExecutorID, let process = record.process, process.isGroupAlive(), free.contains(record.task.resources) {
            if executors[executorKey] == nil {
                let executor = commandExecutor(record.frameworkID, record.executorID)
                if executor is CommandExecutor {
                    let driver = AgentExecutorDriver(agent: self, frameworkID: record.frameworkID, agentID: agentID ?? "", executorID: record.executorID)
                    executors[executorKey] = Mailbox(executor: executor, driver: driver)
                }
            }
            if let mailbox = executors[executorKey] {
                task.holdsResources = true
                free -= record.task.resources
                tasks[key] = task
                mailbox.post(.adopt(record.task, process))
                if record.state == .killing {
                    // The kill was under way when the agent stopped: carry it out.
                    mailbox.post(.kill(record.task.id, record.task.killGracePeriod ?? .seconds(3)))
                }
                logger.info("re-attached to task \(record.task.id) (process group \(process.processGroupID))")
                return
            }
        }
        tasks[key] = task
        let message: String
        if !checkpointing {
            if let process = record.process, process.isGroupAlive() {
                await process.killGroup(gracePeriod: record.task.killGracePeriod ?? .seconds(3))
            }
            message = "the agent restarted and framework \(record.frameworkID) does not checkpoint (FrameworkInfo.checkpoint is false), so its tasks do not survive an agent restart, as in Mesos; the task was stopped"
        } else if record.executorID != Self.commandExecutorID {
            message = "the agent restarted and the in-process executor '\(record.task.executor?.name ?? record.executorID.value)' ended with it; the task's outcome is unknown"
        } else if let process = record.process, process.isGroupAlive() {
            // Never leave it unmanaged: what cannot be adopted (it no longer fits the agent's
            // resources, or the command executor factory makes another kind) is stopped.
            await process.killGroup(gracePeriod: record.task.killGracePeriod ?? .seconds(3))
            message = "the agent restarted and could not take over the task's process group \(process.processGroupID), so it killed it; the task's outcome is unknown"
        } else if let process = record.process {
            message = "the task's process group \(process.processGroupID) ended while the agent was down; its outcome is unknown (it was not the restarted agent's child, so its exit status could not be read)"
        } else {
            message = "the agent restarted before it had recorded the task's process; the task's outcome is unknown"
        }
        logger.warning("task \(record.task.id) lost across the agent restart: \(message)")
        await agentUpdate(key, .lost, reason: .agentRestarted, message: message)
    }

    /// Queues the current record of a task for the checkpoint (or its deletion once forgotten).
    ///
    /// As in Mesos, only frameworks that set ``FrameworkInfo/checkpoint`` have their tasks'
    /// states and updates checkpointed, so they survive an agent restart. For the others
    /// only the `essential` writes happen (the task and its process group, at launch), so a
    /// restarted agent can find their processes and stop them instead of leaving them unmanaged.
    private func checkpointTask(_ key: TaskKey, essential: Bool = false) {
        // The cheap test first: most tasks of frameworks that do not checkpoint stop here.
        guard let checkpoint, essential || frameworks[key.framework]?.checkpoint == true, let task = tasks[key],
            let storeKey = AgentCheckpoint.taskKey(key.framework, key.task)
        else { return }
        tasks[key]?.isCheckpointed = true
        checkpoint.put(storeKey, AgentCheckpoint.TaskRecord(
            frameworkID: key.framework, task: task.info, executorID: task.executor.executor,
            state: task.state, pending: task.pending, process: task.process))
    }

    /// Forgets a task whose terminal update was acknowledged, and its checkpointed record.
    private func forgetTask(_ key: TaskKey) {
        guard let task = tasks.removeValue(forKey: key), task.isCheckpointed,
            let checkpoint, let storeKey = AgentCheckpoint.taskKey(key.framework, key.task)
        else { return }
        checkpoint.delete(storeKey)
    }

    /// A command task's process started: its group's identity goes to the checkpoint, then
    /// `running` (the task's `TASK_RUNNING`, if any) is reported as ``report(_:from:)`` does.
    func processStarted(_ record: ProcessRecord, task taskID: TaskID, from executor: ExecutorKey, then running: TaskStatusReport?)
        async throws(ExecutorDriverError)
    {
        let key = TaskKey(framework: executor.framework, task: taskID)
        if !isDead, tasks[key]?.executor == executor {
            tasks[key]?.process = record
            checkpointTask(key, essential: true)
        }
        if let running { try await report(running, from: executor) }
    }

    private func registration() -> AgentCall {
        let info = AgentInfo(
            id: agentID, hostname: configuration.hostname, resources: configuration.resources, attributes: configuration.attributes,
            isolation: configuration.isolator.kind.rawValue)
        guard let agentID else { return AgentCall(agentID: nil, .register(agent: info)) }
        let reports = tasks.filter { !$0.value.state.isTerminal || !$0.value.pending.isEmpty }.map { key, task in
            AgentTaskReport(frameworkID: key.framework, task: task.info, state: task.state, latestStatus: task.pending.last)
        }.sorted { ($0.frameworkID, $0.task.id) < ($1.frameworkID, $1.task.id) }
        let infos = frameworks.values.sorted { ($0.id?.value ?? "") < ($1.id?.value ?? "") }
        return AgentCall(agentID: agentID, .reregister(agent: info, tasks: reports, frameworks: infos))
    }

    // MARK: Messages from the master

    private func handle(_ event: AgentEvent) async {
        guard event.epoch >= newestEpoch else {
            logger.warning("ignoring a message from a deposed master (epoch \(event.epoch) < \(newestEpoch))")
            return
        }
        newestEpoch = event.epoch
        switch event.kind {
        case .registered(let id, _, _), .reregistered(let id, _, _):
            if agentID != id { checkpoint?.put(AgentCheckpoint.agentKey, AgentCheckpoint.AgentRecord(agentID: id)) }
            agentID = id
            registered = true
            // Everything not yet acknowledged goes out again to the (possibly new) master.
            for key in tasks.keys.sorted(by: { ($0.framework, $0.task) < ($1.framework, $1.task) }) { await sendHead(of: key) }
        case .runTask(let framework, let task):
            await runTask(task, of: framework)
        case .killTask(let framework, let taskID, let grace):
            guard let task = tasks[TaskKey(framework: framework, task: taskID)], !task.state.isTerminal else { return }
            let period = grace.map { (try? Duration.validatedSeconds($0, field: "gracePeriodSeconds")) ?? .seconds(3) } ?? task.info.killGracePeriod ?? .seconds(3)
            executors[task.executor]?.post(.kill(taskID, period))
        case .acknowledge(let framework, let taskID, let uuid):
            await acknowledged(TaskKey(framework: framework, task: taskID), uuid: uuid)
        case .message(let framework, let executorID, let data):
            executors[ExecutorKey(framework: framework, executor: executorID)]?.post(.message(data))
        case .shutdownFramework(let framework):
            for (key, mailbox) in executors where key.framework == framework {
                mailbox.post(.shutdown(configuration.shutdownGracePeriod))
            }
        case .shutdownExecutor(let framework, let executorID):
            executors[ExecutorKey(framework: framework, executor: executorID)]?.post(.shutdown(configuration.shutdownGracePeriod))
        case .ping:
            await link?.send(AgentCall(agentID: agentID, .pong))
        }
    }

    private func runTask(_ task: TaskInfo, of framework: FrameworkInfo) async {
        guard let frameworkID = framework.id else { return }
        if frameworks[frameworkID] != framework, let storeKey = AgentCheckpoint.frameworkKey(frameworkID) {
            checkpoint?.put(storeKey, framework)
        }
        frameworks[frameworkID] = framework
        let key = TaskKey(framework: frameworkID, task: task.id)
        if let existing = tasks[key], !existing.state.isTerminal { return }  // a duplicate delivery
        let executorID = task.executor?.id ?? Self.commandExecutorID
        let executorKey = ExecutorKey(framework: frameworkID, executor: executorID)
        tasks[key] = RunningTask(info: task, executor: executorKey, state: .staging, resendInterval: configuration.statusUpdateRetry)
        checkpointTask(key)
        let needed = task.resources + (executors[executorKey] == nil ? task.executor?.resources ?? Resources() : Resources())
        guard free.contains(needed) else {
            tasks[key]?.holdsResources = false
            await agentUpdate(key, .dropped, reason: .containerLaunchFailed, message: "task \(task.id) needs \(needed) but the agent has only \(free) free")
            return
        }
        free -= task.resources
        if executors[executorKey] == nil {
            let executor: any RoostCore.Executor
            if let custom = task.executor {
                guard let factory = executorFactories[custom.name] else {
                    free += task.resources
                    tasks[key]?.holdsResources = false
                    await agentUpdate(key, .failed, reason: .containerLaunchFailed, message: "no executor named '\(custom.name)' is registered on this agent; registered: \(executorFactories.keys.sorted())")
                    return
                }
                executor = factory(frameworkID, custom.id)
                free -= custom.resources
            } else {
                executor = commandExecutor(frameworkID, executorID)
            }
            let driver = AgentExecutorDriver(agent: self, frameworkID: frameworkID, agentID: agentID ?? "", executorID: executorID)
            executors[executorKey] = Mailbox(executor: executor, driver: driver)
        }
        executors[executorKey]?.post(.launch(task))
    }

    // MARK: Status updates

    /// An executor's report: checked against the task's state, stamped, queued and sent.
    func report(_ report: TaskStatusReport, from executor: ExecutorKey) async throws(ExecutorDriverError) {
        if isDead { return }  // a simulated crash: nobody is listening any more
        let key = TaskKey(framework: executor.framework, task: report.taskID)
        guard let task = tasks[key], task.executor == executor else {
            throw ExecutorDriverError(.unknownTask, "task \(report.taskID) was not given to executor \(executor.executor)")
        }
        guard task.state.canTransition(to: report.state) else {
            throw ExecutorDriverError(.illegalTransition, "task \(report.taskID) cannot go from \(task.state) to \(report.state)")
        }
        let status = TaskStatus(
            taskID: report.taskID, state: report.state, reason: report.reason, message: report.message, source: .executor,
            agentID: agentID, executorID: executor.executor == Self.commandExecutorID ? nil : executor.executor,
            uuid: UUID(), timestamp: Timestamp(secondsSinceEpoch: Date().timeIntervalSince1970),
            healthy: report.healthy, ready: report.ready, exitCode: report.exitCode)
        await enqueue(status, for: key)
    }

    /// An update the agent writes itself (the task could not be started).
    private func agentUpdate(_ key: TaskKey, _ state: TaskState, reason: TaskStatus.Reason, message: String) async {
        let status = TaskStatus(taskID: key.task, state: state, reason: reason, message: message, source: .agent, agentID: agentID,
                                uuid: UUID(), timestamp: Timestamp(secondsSinceEpoch: Date().timeIntervalSince1970))
        await enqueue(status, for: key)
    }

    private func enqueue(_ status: TaskStatus, for key: TaskKey) async {
        guard var task = tasks[key] else { return }
        task.state = status.state
        task.pending.append(status)
        if status.state.isTerminal, task.holdsResources {
            free += task.info.resources
            task.holdsResources = false
        }
        tasks[key] = task
        checkpointTask(key)
        if task.pending.count == 1 { await sendHead(of: key) }
    }

    /// Sends the oldest unacknowledged update of a task and schedules its resend.
    private func sendHead(of key: TaskKey) async {
        guard registered, let link, let agentID, var task = tasks[key], let head = task.pending.first else { return }
        task.nextResend = stopwatch.elapsed + task.resendInterval
        task.resendInterval = min(task.resendInterval * 2, configuration.statusUpdateRetryMax)
        tasks[key] = task
        await link.send(AgentCall(agentID: agentID, .update(frameworkID: key.framework, status: head)))
    }

    private func acknowledged(_ key: TaskKey, uuid: UUID) async {
        guard var task = tasks[key], task.pending.first?.uuid == uuid else { return }
        task.pending.removeFirst()
        task.nextResend = nil
        task.resendInterval = configuration.statusUpdateRetry
        if task.pending.isEmpty, task.state.isTerminal {
            forgetTask(key)
            return
        }
        tasks[key] = task
        checkpointTask(key)
        await sendHead(of: key)
    }

    /// Reports the usage of every running task to the master each `usageInterval`, while
    /// registered and while the isolator accounts for it.
    private func usageLoop() async {
        while !Task.isCancelled {
            do { try await stopwatch.sleep(for: configuration.usageInterval) } catch { return }
            guard registered, let link, let agentID else { continue }
            let reports = tasks.filter { $0.value.state == .running || $0.value.state == .killing }.compactMap { key, _ in
                configuration.isolator.usage(of: ContainerID(framework: key.framework, task: key.task)).map {
                    TaskUsage(frameworkID: key.framework, taskID: key.task, usage: $0)
                }
            }.sorted { ($0.frameworkID, $0.taskID) < ($1.frameworkID, $1.taskID) }
            if !reports.isEmpty { await link.send(AgentCall(agentID: agentID, .usage(tasks: reports))) }
        }
    }

    private func resendLoop() async {
        while !Task.isCancelled {
            let now = stopwatch.elapsed
            let due = tasks.filter { $0.value.nextResend.map { $0 <= now } ?? false }.keys
            for key in due.sorted(by: { ($0.framework, $0.task) < ($1.framework, $1.task) }) { await sendHead(of: key) }
            let next = tasks.values.compactMap(\.nextResend).min().map { max(.milliseconds(1), $0 - stopwatch.elapsed) } ?? configuration.statusUpdateRetry
            do { try await stopwatch.sleep(for: min(next, configuration.statusUpdateRetry)) } catch { return }
        }
    }

    // MARK: Shutdown

    /// Kills every task and stops every executor; the master is told the agent is gone.
    public func shutdown() async {
        let mailboxes = executors.values
        executors.removeAll()
        for mailbox in mailboxes {
            mailbox.post(.shutdown(configuration.shutdownGracePeriod))
            await mailbox.finish()
        }
        if let link, let agentID {
            await link.send(AgentCall(agentID: agentID, .unregister))
            await link.close()
        }
    }
}

extension Agent {
    /// Hands an executor its calls one at a time, in order, from an owned task.
    final class Mailbox: Sendable {
        enum Command: Sendable {
            case launch(TaskInfo)
            /// Take over a command task's running process group after a restart.
            case adopt(TaskInfo, ProcessRecord)
            case kill(TaskID, Duration)
            case message(Data)
            case shutdown(Duration)
        }

        private let continuation: AsyncStream<Command>.Continuation
        private let worker: Task<Void, Never>

        init(executor: any RoostCore.Executor, driver: AgentExecutorDriver) {
            let (stream, continuation) = AsyncStream<Command>.makeStream()
            self.continuation = continuation
            worker = Task {
                await executor.registered(driver)
                for await command in stream {
                    switch command {
                    case .launch(let task):
                        do {
                            try await executor.launch(driver, task: task)
                        } catch {
                            try? await driver.sendStatusUpdate(TaskStatusReport(taskID: task.id, state: .failed, reason: .containerLaunchFailed, message: "launch failed: \(error)"))
                        }
                    case .adopt(let task, let record):
                        do {
                            guard let command = executor as? CommandExecutor else { throw CommandExecutorError(.noCommand, "only the command executor adopts tasks") }
                            try await command.adopt(driver, task: task, record: record)
                        } catch {
                            try? await driver.sendStatusUpdate(TaskStatusReport(taskID: task.id, state: .lost, reason: .agentRestarted, message: "could not take over the task after the agent restarted: \(error)"))
                        }
                    case .kill(let taskID, let grace):
                        await executor.kill(driver, taskID: taskID, gracePeriod: grace)
                    case .message(let data):
                        await executor.frameworkMessage(driver, data: data)
                    case .shutdown(let grace):
                        await executor.shutdown(driver, gracePeriod: grace)
                    }
                }
            }
        }

        func post(_ command: Command) { continuation.yield(command) }

        /// Ends the mailbox after what is queued and waits for the executor to finish it.
        func finish() async {
            continuation.finish()
            await worker.value
        }
    }
}

/// The ``ExecutorDriver`` an agent gives each executor.
struct AgentExecutorDriver: ExecutorDriver {
    let agent: Agent
    let frameworkID: FrameworkID
    let agentID: AgentID
    let executorID: ExecutorID

    func sendStatusUpdate(_ report: TaskStatusReport) async throws(ExecutorDriverError) {
        try await agent.report(report, from: Agent.ExecutorKey(framework: frameworkID, executor: executorID))
    }

    func sendFrameworkMessage(_ data: Data) async throws(ExecutorDriverError) {
        await agent.executorMessage(data, framework: frameworkID, executor: executorID)
    }

    /// A command task's process started (the command executor tells the agent, for its
    /// checkpoint), and then its `running` report, in one call.
    func processStarted(_ taskID: TaskID, record: ProcessRecord, then running: TaskStatusReport?) async throws(ExecutorDriverError) {
        try await agent.processStarted(record, task: taskID, from: Agent.ExecutorKey(framework: frameworkID, executor: executorID), then: running)
    }
}

extension Agent {
    func executorMessage(_ data: Data, framework: FrameworkID, executor: ExecutorID) async {
        await link?.send(AgentCall(agentID: agentID, .message(frameworkID: framework, executorID: executor, data: data)))
    }
}
