public import Logging
public import RoostCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The agent's default executor: runs each task's ``Command`` as a real process in the task's
/// own sandbox, reports its life as Mesos' command executor does, and runs its health and
/// readiness checks.
///
/// Inside this module `Executor` is ambiguous with `_Concurrency.Executor`; this type
/// conforms to `RoostCore.Executor`.
///
/// **Lifecycle of a task.** ``launch(_:task:)`` creates the sandbox
/// (see ``Sandbox``), reports `TASK_STARTING`, starts the process (``TaskProcess``, a new
/// process group) and reports `TASK_RUNNING`, then returns; a supervising task owned by this
/// executor waits for the process and reports exactly one terminal state:
///
/// | How it ended | State | Reason | Message |
/// |---|---|---|---|
/// | exit code 0 | `TASK_FINISHED` | | `exited with code 0` |
/// | exit code N | `TASK_FAILED`, `exitCode` N | `REASON_COMMAND_EXECUTOR_FAILED` | `exited with code N` |
/// | signal N | `TASK_FAILED` | `REASON_COMMAND_EXECUTOR_FAILED` | `terminated by signal N` |
/// | after a kill | `TASK_KILLED` (after `TASK_KILLING`) | the kill's (`REASON_TASK_UNHEALTHY` for health kills) | |
/// | sandbox or spawn failure | `TASK_FAILED` | `REASON_CONTAINER_LAUNCH_FAILED` | the problem, naming the program or path |
/// | adopted (see below), ended on its own | `TASK_LOST` | `REASON_AGENT_RESTARTED` | the exit status is unknown |
///
/// **Adopted tasks.** After an agent restart, ``adopt(_:task:record:)`` takes over a task whose
/// process group outlived the previous agent: it is no longer this process's child, so the
/// executor watches its ``ProcessRecord`` (polling, see ``ProcessRecord/waitForGroupExit(timeout:)``)
/// and kills it with ``ProcessRecord/killGroup(gracePeriod:)``. A kill reports `TASK_KILLING`
/// and `TASK_KILLED` as for any task; a group that ends on its own is reported `TASK_LOST`,
/// since only a parent can learn a process's exit status. Adopted tasks keep their health and
/// readiness checks (the health check's grace period starts again; the readiness verdict is
/// reported afresh).
///
/// **Health checks** (command, TCP and HTTP, all against the task on this machine) follow
/// ``HealthCheck``: a change of verdict is reported as `TASK_RUNNING` with `healthy` set
/// (reason `REASON_TASK_HEALTH_CHECK_STATUS_UPDATED`); after `consecutiveFailures` failures
/// in a row the task is killed and ends `TASK_KILLED` with reason `REASON_TASK_UNHEALTHY`.
///
/// **Readiness checks** (``ReadinessCheck``, the same kinds) run beside the health check: the
/// first verdict and every change are reported as `TASK_RUNNING` with `ready` set (reason
/// `REASON_TASK_CHECK_STATUS_UPDATED`); a failing readiness check never kills the task. Every
/// report of a task carries the last known `healthy` and `ready` (`nil` before the first
/// verdict), so the latest status always has both.
///
/// **Reports** go out through the driver strictly in the order they were made, by one task
/// of this executor, so `TASK_KILLING` always precedes the terminal state. A driver error is
/// logged and the report dropped (the agent owns retrying).
///
/// **Concurrency.** An actor: the agent calls it one method at a time, and its supervising
/// tasks call back into it. Every task it starts is owned by it and awaited by
/// ``shutdown(_:gracePeriod:)``.
public actor CommandExecutor: RoostCore.Executor {
    /// Where sandboxes go, how long kills wait, and where logs go.
    public struct Configuration: Sendable {
        /// The agent's work directory; sandboxes are created under it (see ``Sandbox``).
        public var workDirectory: String
        /// The grace between SIGTERM and SIGKILL when the executor kills a task on its own (a
        /// failed health check) or when its supervision is torn down; a task's
        /// ``TaskInfo/killGracePeriod`` overrides it. Kills asked for through
        /// ``CommandExecutor/kill(_:taskID:gracePeriod:)`` and
        /// ``CommandExecutor/shutdown(_:gracePeriod:)`` use the grace period given there.
        /// Default 3 s, as Mesos' command executor (`src/launcher/executor.cpp`, `killTask`:
        /// "Default grace period is set to 3s"), used when a task has no `KillPolicy`.
        public var killGracePeriod: Duration
        /// Where the executor logs launches, exits and health changes.
        public var logger: Logger
        /// How tasks are contained: their limits, what a kill reaches, their usage. Default
        /// ``ProcessGroupIsolator`` (no limits); the agent's ``IsolationMode`` picks one.
        public var isolator: any Isolator

        /// Creates a configuration; see each property for its default.
        public init(
            workDirectory: String,
            killGracePeriod: Duration = .seconds(3),
            logger: Logger = Logger(label: "roost.agent.command-executor"),
            isolator: any Isolator = ProcessGroupIsolator()
        ) {
            self.workDirectory = workDirectory
            self.killGracePeriod = killGracePeriod
            self.logger = logger
            self.isolator = isolator
        }
    }

    /// This executor's configuration.
    public nonisolated let configuration: Configuration

    private var tasks: [TaskID: RunningTask] = [:]
    private var isShutDown = false
    private let outbox: AsyncStream<Outgoing>.Continuation
    private let reporter: Task<Void, Never>

    /// Creates an executor; it starts nothing until ``launch(_:task:)``.
    public init(configuration: Configuration) {
        self.configuration = configuration
        let (stream, outbox) = AsyncStream.makeStream(of: Outgoing.self)
        self.outbox = outbox
        let logger = configuration.logger
        reporter = Task {
            for await item in stream {
                switch item {
                case .started(let driver, let taskID, let record, let running):
                    do {
                        if let driver = driver as? AgentExecutorDriver {
                            // One call to the agent for both: the record, then TASK_RUNNING.
                            try await driver.processStarted(taskID, record: record, then: running)
                        } else if let running {
                            try await driver.sendStatusUpdate(running)
                        }
                    } catch {
                        logger.warning(
                            "status update refused by the agent", metadata: ["task": "\(taskID)", "state": "\(TaskState.running)", "error": "\(error)"])
                    }
                case .report(let driver, let report):
                    do {
                        try await driver.sendStatusUpdate(report)
                    } catch {
                        logger.warning(
                            "status update refused by the agent",
                            metadata: ["task": "\(report.taskID)", "state": "\(report.state)", "error": "\(error)"])
                    }
                case .flush(let continuation):
                    continuation.resume()
                }
            }
        }
    }

    deinit {
        outbox.finish()
    }

    // MARK: - Executor

    /// Starts `task`'s command and returns once it runs (or has been reported `TASK_FAILED`).
    ///
    /// Called by the agent. Reports `TASK_STARTING` and `TASK_RUNNING` (delivered to the driver
    /// before this returns); a sandbox that cannot be created or a command that cannot be
    /// started is reported as `TASK_FAILED` with reason `REASON_CONTAINER_LAUNCH_FAILED` and
    /// a message naming the problem, without throwing.
    /// - Throws: ``CommandExecutorError`` (before any report) when the task has no command, a
    ///   task with its ID is already running here, or the executor was shut down.
    public func launch(_ driver: any ExecutorDriver, task: TaskInfo) async throws {
        guard !isShutDown else {
            throw CommandExecutorError(.shutDown, "cannot launch task '\(task.id)': the command executor was shut down")
        }
        guard task.command != nil else {
            throw CommandExecutorError(.noCommand, "task '\(task.id)' has no command; the command executor runs TaskInfo.command (use an executor for tasks without one)")
        }
        guard tasks[task.id] == nil else {
            throw CommandExecutorError(.duplicateTask, "task '\(task.id)' is already running in this executor; task IDs must be unique within a framework")
        }
        let logger = taskLogger(task.id)
        let sandbox = Sandbox(
            workDirectory: configuration.workDirectory, frameworkID: driver.frameworkID,
            executorID: driver.executorID, taskID: task.id)
        tasks[task.id] = RunningTask(task: task, sandbox: sandbox)
        do {
            try sandbox.createFolder()  // its stdout and stderr are created as the process starts
        } catch {
            tasks[task.id] = nil
            logger.error("cannot create the sandbox", metadata: ["error": "\(error)"])
            send(driver, TaskStatusReport(
                taskID: task.id, state: .failed, reason: .containerLaunchFailed,
                message: "cannot create the sandbox: \(error.message)"))
            await flush()
            return
        }
        send(driver, TaskStatusReport(taskID: task.id, state: .starting))

        let process: TaskProcess
        var processConfiguration: TaskProcess.Configuration
        let container = ContainerID(framework: driver.frameworkID, task: task.id)
        do {
            processConfiguration = try TaskProcess.Configuration.task(
                task, in: sandbox, extraEnvironment: Self.portEnvironment(for: task.resources),
                teardownGracePeriod: task.killGracePeriod ?? configuration.killGracePeriod)
            processConfiguration.joinFiles = try configuration.isolator.prepare(task, container: container).procsFiles
            process = try await TaskProcess.launch(processConfiguration)
        } catch {
            await configuration.isolator.destroy(container)
            tasks[task.id] = nil
            // A launch that failed before opening them still leaves the sandbox's stdout and
            // stderr, as every sandbox has (only this rare path pays for creating them here).
            try? sandbox.create()
            let message = (error as? any CodedError)?.message ?? "\(error)"
            logger.error("cannot start the task's command", metadata: ["error": "\(error)"])
            send(driver, TaskStatusReport(taskID: task.id, state: .failed, reason: .containerLaunchFailed, message: message))
            await flush()
            return
        }
        logger.debug("task started", metadata: ["pid": "\(process.pid)", "sandbox": "\(sandbox.path)"])
        // The group's identity goes ahead of TASK_RUNNING (in the same message to the agent),
        // so an agent that checkpoints has it first. No TASK_RUNNING if a kill came while
        // launching: TASK_KILLING was reported, and the kill runs now. No suspension from here
        // to the end of `started`: the supervisor (isolated to this actor) cannot report
        // anything before TASK_RUNNING is queued.
        let running = tasks[task.id]?.kill == nil ? TaskStatusReport(taskID: task.id, state: .running) : nil
        outbox.yield(.started(driver, task.id, process.record, running: running))
        let supervisor = supervise(task, process: process, container: container, configuration: processConfiguration, driver: driver)
        // Each kill runs in a task of its own, so a later, shorter grace period wins.
        tasks[task.id]?.started(process: process, supervisor: supervisor) { gracePeriod in
            Task { await process.kill(gracePeriod: gracePeriod) }
        }
        await flush()
    }

    /// Takes over a task whose process group was started by an earlier agent (before a
    /// restart) and still runs: from now on the executor waits for the group, kills it on
    /// request and reports its terminal state, as for a task it launched.
    ///
    /// Called by the agent while it recovers, in place of ``launch(_:task:)``. Reports nothing
    /// now (the task already runs). When the group ends on its own the task is reported
    /// `TASK_LOST` with reason `REASON_AGENT_RESTARTED` (its exit status cannot be known: it is
    /// not this process's child); after ``kill(_:taskID:gracePeriod:)`` it is reported
    /// `TASK_KILLED`. A group that is already gone is reported at once the same way.
    /// - Throws: ``CommandExecutorError`` when a task with this ID is already here or the
    ///   executor was shut down.
    public func adopt(_ driver: any ExecutorDriver, task: TaskInfo, record: ProcessRecord) async throws {
        guard !isShutDown else {
            throw CommandExecutorError(.shutDown, "cannot adopt task '\(task.id)': the command executor was shut down")
        }
        guard tasks[task.id] == nil else {
            throw CommandExecutorError(.duplicateTask, "task '\(task.id)' is already running in this executor; task IDs must be unique within a framework")
        }
        let sandbox = Sandbox(
            workDirectory: configuration.workDirectory, frameworkID: driver.frameworkID,
            executorID: driver.executorID, taskID: task.id)
        tasks[task.id] = RunningTask(task: task, sandbox: sandbox)
        tasks[task.id]?.adoptedRecord = record
        taskLogger(task.id).info("adopted a task started before the agent restarted", metadata: ["pgid": "\(record.processGroupID)"])
        let taskID = task.id
        let isolator = configuration.isolator
        // The health and readiness checks go on where they run, with the task's variables; the
        // health check's grace period starts again, as after any restart of the checker, and the
        // readiness verdict is reported afresh (the restarted agent does not know the last one).
        let launchConfiguration = try? TaskProcess.Configuration.task(task, in: sandbox, extraEnvironment: Self.portEnvironment(for: task.resources))
        let checks = Checks(
            task, workingDirectory: launchConfiguration?.workingDirectory ?? sandbox.path,
            environment: launchConfiguration?.environment ?? task.environment)
        let supervisor = Task {
            await self.running(checks, of: taskID, driver: driver) { try? await record.waitForGroupExit() }
            await isolator.destroy(ContainerID(framework: driver.frameworkID, task: taskID))
            self.adoptedGroupEnded(taskID, driver: driver)
        }
        tasks[task.id]?.started(process: nil, supervisor: supervisor) { gracePeriod in
            Task { await record.killGroup(gracePeriod: gracePeriod) }
        }
        await flush()
    }

    /// Kills a task: reports `TASK_KILLING`, sends SIGTERM to its whole process group and
    /// SIGKILL after `gracePeriod` if anything in the group is still alive; `TASK_KILLED` is
    /// reported once no process of the group is left.
    ///
    /// Called by the agent; returns once `TASK_KILLING` is delivered (the SIGTERM follows at
    /// once, from the task's supervisor), without waiting for the task to end. A second kill
    /// with a shorter grace period shortens the wait. An unknown or already finished task is
    /// ignored (and logged).
    public func kill(_ driver: any ExecutorDriver, taskID: TaskID, gracePeriod: Duration) async {
        guard tasks[taskID] != nil else {
            configuration.logger.debug("kill for a task that is not running here ignored", metadata: ["task": "\(taskID)"])
            return
        }
        requestKill(taskID, gracePeriod: gracePeriod, reason: nil, message: "kill requested", driver: driver)
        await flush()
    }

    /// Kills every task (as ``kill(_:taskID:gracePeriod:)`` does, all at once) and returns when
    /// all of them are gone and their terminal states delivered.
    ///
    /// Called by the agent before it removes the executor. Afterwards ``launch(_:task:)``
    /// throws and the executor sends nothing more.
    public func shutdown(_ driver: any ExecutorDriver, gracePeriod: Duration) async {
        isShutDown = true
        for taskID in tasks.keys {
            requestKill(taskID, gracePeriod: gracePeriod, reason: nil, message: "the executor is shutting down", driver: driver)
        }
        while let entry = tasks.first?.value {
            if let supervisor = entry.supervisor {
                await supervisor.value
            } else {
                await Task.yield()  // a launch still in progress; it checks isShutDown when its process runs
            }
        }
        await flush()
        outbox.finish()
        await reporter.value
    }

    // MARK: - What the agent may inspect

    /// The identity of each running task's process group, for the agent to save so it can
    /// find, kill or wait for the processes after a restart (see ``ProcessRecord``).
    /// Adopted tasks (``adopt(_:task:record:)``) are included.
    public func processRecords() -> [TaskID: ProcessRecord] {
        tasks.compactMapValues { $0.process?.record ?? $0.adoptedRecord }
    }

    /// The IDs of the tasks that have been launched and not yet reported terminal.
    public var runningTaskIDs: Set<TaskID> { Set(tasks.keys) }

    /// The variables that tell a task its ports: `PORT0`, `PORT1`, … in ascending order,
    /// `PORT` (the first) and `PORTS` (all, comma-separated), from its `ports` resource, as
    /// Marathon sets them. Empty when the task has no ports.
    public static func portEnvironment(for resources: Resources) -> [String: String] {
        let ports = resources.ranges(named: "ports").ranges.flatMap { $0 }
        guard let first = ports.first else { return [:] }
        var environment = ["PORT": String(first), "PORTS": ports.map(String.init).joined(separator: ",")]
        for (index, port) in ports.enumerated() { environment["PORT\(index)"] = String(port) }
        return environment
    }

    // MARK: - Supervision

    /// The task that waits for `process` and runs its health and readiness checks; it reports
    /// the terminal state when the process group is gone.
    private func supervise(
        _ task: TaskInfo, process: TaskProcess, container: ContainerID, configuration: TaskProcess.Configuration, driver: any ExecutorDriver
    ) -> Task<Void, Never> {
        let isolator = self.configuration.isolator
        // A command check runs where the task runs, with the task's variables.
        let checks = Checks(task, workingDirectory: configuration.workingDirectory, environment: configuration.environment)
        let taskID = task.id
        return Task {
            let termination = await self.running(checks, of: taskID, driver: driver) { await process.wait() }
            // The group is gone; whatever left it (setsid, double forks) dies with the container.
            let limitation = isolator.limitation(of: container)
            await isolator.destroy(container)
            self.processEnded(taskID, termination, limitation: limitation, driver: driver)
        }
    }

    /// Runs `body` (the wait for a task's end) with the task's checks beside it, stopping them
    /// when it returns; without checks, just `body`.
    private nonisolated func running<Result: Sendable>(
        _ checks: Checks, of taskID: TaskID, driver: any ExecutorDriver, while body: @Sendable () async -> Result
    ) async -> Result {
        guard checks.health != nil || checks.readiness != nil else { return await body() }
        return await withTaskGroup(of: Void.self) { group in
            addChecks(checks, of: taskID, to: &group, driver: driver)
            let result = await body()
            group.cancelAll()
            return result
        }
    }

    /// Reports a health change or kills a task that failed its check too often.
    private func healthEvent(_ taskID: TaskID, _ event: HealthChecker.Event, driver: any ExecutorDriver) {
        guard let entry = tasks[taskID], entry.kill == nil, entry.process?.termination == nil else { return }
        let logger = taskLogger(taskID)
        switch event {
        case .changed(let healthy, let detail):
            tasks[taskID]?.healthy = healthy
            if healthy {
                logger.info("task is healthy", metadata: ["detail": "\(detail)"])
            } else {
                logger.warning("task is unhealthy", metadata: ["detail": "\(detail)"])
            }
            send(driver, TaskStatusReport(
                taskID: taskID, state: .running, reason: .taskHealthCheckStatusUpdated, message: detail,
                healthy: healthy, ready: entry.ready))
        case .failedTooOften(let count, let detail):
            logger.warning("killing the task: its health check failed \(count) times in a row", metadata: ["detail": "\(detail)"])
            requestKill(
                taskID, gracePeriod: entry.task.killGracePeriod ?? configuration.killGracePeriod, reason: .taskUnhealthy,
                message: "health check failed \(count) times in a row: \(detail)", driver: driver)
        }
    }

    /// Reports a change of the readiness verdict; never kills (a task that is not ready is left
    /// running).
    private func readinessEvent(_ taskID: TaskID, ready: Bool, detail: String, driver: any ExecutorDriver) {
        guard let entry = tasks[taskID], entry.kill == nil, entry.process?.termination == nil else { return }
        tasks[taskID]?.ready = ready
        taskLogger(taskID).info(ready ? "task is ready" : "task is not ready", metadata: ["detail": "\(detail)"])
        send(driver, TaskStatusReport(
            taskID: taskID, state: .running, reason: .taskCheckStatusUpdated, message: detail,
            healthy: entry.healthy, ready: ready))
    }

    /// Adds a child to `group` for each of the task's checks, reporting back to this executor.
    private nonisolated func addChecks(_ checks: Checks, of taskID: TaskID, to group: inout TaskGroup<Void>, driver: any ExecutorDriver) {
        if let health = checks.health {
            group.addTask {
                await health.run { event in await self.healthEvent(taskID, event, driver: driver) }
            }
        }
        if let readiness = checks.readiness {
            group.addTask {
                await readiness.run { ready, detail in await self.readinessEvent(taskID, ready: ready, detail: detail, driver: driver) }
            }
        }
    }

    /// Reports `TASK_KILLING` (the first time) and passes the kill to the task's supervisor.
    private func requestKill(_ taskID: TaskID, gracePeriod: Duration, reason: TaskStatus.Reason?, message: String, driver: any ExecutorDriver) {
        guard var entry = tasks[taskID] else { return }
        if entry.kill == nil {
            entry.kill = Kill(reason: reason, message: message)
            send(driver, TaskStatusReport(
                taskID: taskID, state: .killing, reason: reason, message: message, healthy: entry.healthy, ready: entry.ready))
        }
        if let startKill = entry.startKill {
            startKill(gracePeriod)
        } else {
            // Still launching: the kill starts as soon as the process runs.
            entry.pendingKillGracePeriod = min(entry.pendingKillGracePeriod ?? gracePeriod, gracePeriod)
        }
        tasks[taskID] = entry
    }

    /// Reports the terminal state of an adopted task whose process group is gone.
    private func adoptedGroupEnded(_ taskID: TaskID, driver: any ExecutorDriver) {
        guard let entry = tasks.removeValue(forKey: taskID) else { return }
        let report: TaskStatusReport
        if let kill = entry.kill {
            report = TaskStatusReport(
                taskID: taskID, state: .killed, reason: kill.reason,
                message: "\(kill.message); the task's process group is gone (its exit status is unknown: it was adopted after an agent restart)",
                healthy: entry.healthy, ready: entry.ready)
        } else {
            report = TaskStatusReport(
                taskID: taskID, state: .lost, reason: .agentRestarted,
                message: "the task's process group ended after the agent restarted; its outcome is unknown (the task was not the restarted agent's child, so its exit status could not be read)",
                healthy: entry.healthy, ready: entry.ready)
        }
        taskLogger(taskID).info("adopted task ended", metadata: ["state": "\(report.state)"])
        send(driver, report)
    }

    /// Reports the terminal state of a task whose process group is gone.
    private func processEnded(_ taskID: TaskID, _ termination: ProcessTermination, limitation: ContainerLimitation?, driver: any ExecutorDriver) {
        guard let entry = tasks.removeValue(forKey: taskID) else { return }
        let exitCode: Int32? = if case .exited(let code) = termination { code } else { nil }
        let report: TaskStatusReport
        if let limitation, !termination.isSuccess {
            report = TaskStatusReport(
                taskID: taskID, state: .failed, reason: limitation.reason,
                message: "\(limitation.description); the task \(termination)", healthy: entry.healthy, ready: entry.ready, exitCode: exitCode)
        } else if let kill = entry.kill {
            report = TaskStatusReport(
                taskID: taskID, state: .killed, reason: kill.reason,
                message: "\(kill.message); the task \(termination)", healthy: entry.healthy, ready: entry.ready, exitCode: exitCode)
        } else if termination.isSuccess {
            report = TaskStatusReport(taskID: taskID, state: .finished, message: termination.description, healthy: entry.healthy, ready: entry.ready, exitCode: 0)
        } else {
            report = TaskStatusReport(
                taskID: taskID, state: .failed, reason: .commandExecutorFailed, message: termination.description,
                healthy: entry.healthy, ready: entry.ready, exitCode: exitCode)
        }
        taskLogger(taskID).debug("task ended", metadata: ["state": "\(report.state)", "how": "\(termination)"])
        send(driver, report)
    }

    // MARK: - Helpers

    private func taskLogger(_ taskID: TaskID) -> Logger {
        var logger = configuration.logger
        logger[metadataKey: "task"] = "\(taskID)"
        return logger
    }

    private func send(_ driver: any ExecutorDriver, _ report: TaskStatusReport) {
        outbox.yield(.report(driver, report))
    }

    /// Returns once every report made so far has been handed to the driver.
    private func flush() async {
        await withCheckedContinuation { continuation in
            if case .terminated = outbox.yield(.flush(continuation)) { continuation.resume() }
        }
    }

    /// An item of the ordered report queue.
    private enum Outgoing: Sendable {
        case report(any ExecutorDriver, TaskStatusReport)
        /// A process was started: the agent (if it is the driver) checkpoints its record; then
        /// `running` (`TASK_RUNNING`, unless a kill came first) is reported.
        case started(any ExecutorDriver, TaskID, ProcessRecord, running: TaskStatusReport?)
        case flush(CheckedContinuation<Void, Never>)
    }

    /// A task's health and readiness checkers (either may be absent).
    private struct Checks: Sendable {
        var health: HealthChecker?
        var readiness: ReadinessChecker?

        /// The checkers of `task`'s checks; a command check runs in `workingDirectory` with
        /// `environment` (the task's). The health check's grace period starts now.
        init(_ task: TaskInfo, workingDirectory: String, environment: [String: String]) {
            health = task.healthCheck.map {
                HealthChecker(check: $0, workingDirectory: workingDirectory, environment: environment, startedAt: .now)
            }
            readiness = task.readinessCheck.map {
                ReadinessChecker(check: $0, workingDirectory: workingDirectory, environment: environment)
            }
        }
    }

    /// Why a task is being killed, for its `TASK_KILLING` and `TASK_KILLED` reports.
    private struct Kill {
        var reason: TaskStatus.Reason?
        var message: String
    }

    /// What the executor knows about a launched task.
    private struct RunningTask {
        let task: TaskInfo
        let sandbox: Sandbox
        var process: TaskProcess?
        /// The group of a task taken over by ``adopt(_:task:record:)`` (then `process` is `nil`).
        var adoptedRecord: ProcessRecord?
        var supervisor: Task<Void, Never>?
        /// Starts a kill of the task's group with a grace period; set once it runs.
        var startKill: (@Sendable (Duration) -> Void)?
        /// Set once a kill was asked for.
        var kill: Kill?
        /// The grace period of a kill asked for before the process ran.
        var pendingKillGracePeriod: Duration?
        /// The last health verdict, carried on every later report of the task.
        var healthy: Bool?
        /// The last readiness verdict, carried on every later report of the task.
        var ready: Bool?

        init(task: TaskInfo, sandbox: Sandbox) {
            self.task = task
            self.sandbox = sandbox
        }

        /// The task runs (`process` is `nil` for an adopted one): kills go to `startKill`,
        /// beginning with one asked for while it was starting.
        mutating func started(process: TaskProcess?, supervisor: Task<Void, Never>, startKill: @escaping @Sendable (Duration) -> Void) {
            self.process = process
            self.supervisor = supervisor
            self.startKill = startKill
            if let gracePeriod = pendingKillGracePeriod {
                startKill(gracePeriod)
                pendingKillGracePeriod = nil
            }
        }
    }
}

/// Why the command executor refused a launch.
public struct CommandExecutorError: CodedError, Hashable, Sendable {
    /// What kind of refusal this is; an extensible set of values (compare with `==`).
    public var code: ErrorCode<CommandExecutorError>
    /// What was wrong, naming the task and the fix.
    public var message: String

    /// Creates an error.
    public init(_ code: ErrorCode<CommandExecutorError>, _ message: String) {
        self.code = code
        self.message = message
    }
}

extension ErrorCode where Domain == CommandExecutorError {
    /// The task has no ``TaskInfo/command``.
    public static var noCommand: Self { Self("noCommand") }
    /// A task with the same ID is already running in this executor.
    public static var duplicateTask: Self { Self("duplicateTask") }
    /// ``CommandExecutor/shutdown(_:gracePeriod:)`` was called; the executor accepts no more tasks.
    public static var shutDown: Self { Self("shutDown") }
}
