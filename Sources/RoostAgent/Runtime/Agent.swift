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

        /// Creates a configuration with Mesos' defaults for anything not given.
        public init(
            hostname: String,
            resources: Resources,
            attributes: [String: String] = [:],
            statusUpdateRetry: Duration = .seconds(10),
            statusUpdateRetryMax: Duration = .seconds(600),
            reconnectDelay: Duration = .milliseconds(100),
            shutdownGracePeriod: Duration = .seconds(3)
        ) {
            self.hostname = hostname
            self.resources = resources
            self.attributes = attributes
            self.statusUpdateRetry = statusUpdateRetry
            self.statusUpdateRetryMax = statusUpdateRetryMax
            self.reconnectDelay = reconnectDelay
            self.shutdownGracePeriod = shutdownGracePeriod
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

    /// The tasks the agent runs or still reports, with their states.
    public var taskStates: [TaskID: TaskState] {
        Dictionary(tasks.map { ($0.key.task, $0.value.state) }, uniquingKeysWith: { first, _ in first })
    }

    /// Connects, registers and serves until the task is cancelled; then kills every task
    /// (with the shutdown grace period) and tells the master it is gone.
    public func run() async {
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
                for await event in opened.events {
                    await handle(event)
                }
                group.cancelAll()
            }
            link = nil
            registered = false
            if !Task.isCancelled {
                logger.info("link to the master closed; reconnecting")
                try? await stopwatch.sleep(for: configuration.reconnectDelay)
            }
        }
        await shutdown()
    }

    private func registration() -> AgentCall {
        let info = AgentInfo(id: agentID, hostname: configuration.hostname, resources: configuration.resources, attributes: configuration.attributes)
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
        frameworks[frameworkID] = framework
        let key = TaskKey(framework: frameworkID, task: task.id)
        if let existing = tasks[key], !existing.state.isTerminal { return }  // a duplicate delivery
        let executorID = task.executor?.id ?? Self.commandExecutorID
        let executorKey = ExecutorKey(framework: frameworkID, executor: executorID)
        tasks[key] = RunningTask(info: task, executor: executorKey, state: .staging, resendInterval: configuration.statusUpdateRetry)
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
            healthy: report.healthy, exitCode: report.exitCode)
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
            tasks[key] = nil
            return
        }
        tasks[key] = task
        await sendHead(of: key)
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
}

extension Agent {
    func executorMessage(_ data: Data, framework: FrameworkID, executor: ExecutorID) async {
        await link?.send(AgentCall(agentID: agentID, .message(frameworkID: framework, executorID: executor, data: data)))
    }
}
