public import FoundationEssentials

/// Runs a framework's tasks on an agent.
///
/// Inside a module that imports RoostCore, `Executor` shadows the standard
/// library's `_Concurrency.Executor`: write `RoostCore.Executor` where the
/// name is ambiguous.
///
/// The agent calls one executor's methods one at a time, in order, never
/// concurrently; an `actor` is the natural conformer. ``launch(_:task:)``
/// must return promptly (start the work, do not wait for it to end) and
/// report progress through ``ExecutorDriver/sendStatusUpdate(_:)``:
/// `TASK_STARTING`, `TASK_RUNNING`, then exactly one terminal state. The
/// agent's default is the command executor, which runs `TaskInfo.command` as a
/// real process; an in-process executor is any conformer registered with the
/// agent under the name a task's ``ExecutorInfo/name`` gives.
public protocol Executor: Sendable {
    /// The executor was started on an agent, before its first task.
    func registered(_ driver: any ExecutorDriver) async
    /// Start a task. Throwing reports the task `TASK_FAILED` with the error as its message.
    func launch(_ driver: any ExecutorDriver, task: TaskInfo) async throws
    /// Kill a task: ask it to stop, and force it after `gracePeriod`. Report `TASK_KILLED`
    /// (or the state it really ended in) when it has stopped.
    func kill(_ driver: any ExecutorDriver, taskID: TaskID, gracePeriod: Duration) async
    /// Opaque bytes from the framework's scheduler.
    func frameworkMessage(_ driver: any ExecutorDriver, data: Data) async
    /// Kill every task and clean up; the agent removes the executor after this returns.
    func shutdown(_ driver: any ExecutorDriver, gracePeriod: Duration) async
}

extension Executor {
    /// Default: does nothing.
    public func registered(_ driver: any ExecutorDriver) async {}
    /// Default: does nothing.
    public func frameworkMessage(_ driver: any ExecutorDriver, data: Data) async {}
}

/// What an executor may do: report task states and talk to its scheduler.
///
/// Implemented by the agent. Updates are kept and resent until the framework
/// acknowledges them, in order per task; the agent stamps each with a UUID,
/// the time, its agent ID, the executor ID and `source: executor`.
public protocol ExecutorDriver: Sendable {
    /// The framework the executor works for.
    var frameworkID: FrameworkID { get }
    /// The agent it runs on.
    var agentID: AgentID { get }
    /// This executor instance.
    var executorID: ExecutorID { get }
    /// Reports a task's new state.
    /// - Throws: ``ExecutorDriverError`` when the transition is illegal for the task's
    ///   current state, the task is unknown, or the executor was shut down.
    func sendStatusUpdate(_ report: TaskStatusReport) async throws(ExecutorDriverError)
    /// Sends opaque bytes to the framework's scheduler.
    func sendFrameworkMessage(_ data: Data) async throws(ExecutorDriverError)
}

/// What an executor knows about a task's new state; the agent turns it into a ``TaskStatus``.
///
/// JSON fields: `taskID`, `state`, `reason`, `message`, `healthy`, `ready`, `exitCode`.
public struct TaskStatusReport: Hashable, Sendable, Codable {
    /// The task.
    public var taskID: TaskID
    /// Its new state.
    public var state: TaskState
    /// Why, when there is a machine-readable reason.
    public var reason: TaskStatus.Reason?
    /// A human-readable explanation.
    public var message: String?
    /// The latest health-check verdict, for tasks with a health check.
    public var healthy: Bool?
    /// The latest readiness-check verdict, for tasks with a readiness check (see
    /// ``TaskStatus/ready``).
    public var ready: Bool?
    /// The process's exit code, when it exited.
    public var exitCode: Int32?

    /// Creates a report.
    public init(taskID: TaskID, state: TaskState, reason: TaskStatus.Reason? = nil, message: String? = nil, healthy: Bool? = nil, ready: Bool? = nil, exitCode: Int32? = nil) {
        self.taskID = taskID
        self.state = state
        self.reason = reason
        self.message = message
        self.healthy = healthy
        self.ready = ready
        self.exitCode = exitCode
    }
}

/// Why the agent refused an executor's report or message.
public struct ExecutorDriverError: CodedError, Hashable, Sendable {
    /// What kind of refusal this is.
    public var code: ErrorCode<ExecutorDriverError>
    /// What was wrong, naming the task and states.
    public var message: String

    /// Creates an error.
    public init(_ code: ErrorCode<ExecutorDriverError>, _ message: String) {
        self.code = code
        self.message = message
    }

}

extension ErrorCode where Domain == ExecutorDriverError {
    /// The task is not one this executor was given.
    public static var unknownTask: Self { Self("unknownTask") }
    /// The task cannot move from its current state to the reported one.
    public static var illegalTransition: Self { Self("illegalTransition") }
    /// The executor was shut down; nothing more is accepted from it.
    public static var shutDown: Self { Self("shutDown") }
}
