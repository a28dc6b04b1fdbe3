public import FoundationEssentials

/// A report of a task's state, from its executor, its agent or the master.
///
/// Updates that carry an ``uuid`` must be acknowledged by the framework; the
/// agent resends them until it is (at least once, in order per task). Updates
/// without one (reconciliation answers, master-generated updates) need no
/// acknowledgement.
///
/// JSON fields: `taskID`, `state`, `reason`, `message`, `source`, `agentID`,
/// `executorID`, `uuid`, `timestamp`, `healthy`, `ready`, `exitCode`; fields that are `nil`
/// are left out.
public struct TaskStatus: Hashable, Sendable, Codable {
    /// The task this is about.
    public var taskID: TaskID
    /// Its new state.
    public var state: TaskState
    /// Why it is in that state, when there is a machine-readable reason.
    public var reason: Reason?
    /// A human-readable explanation (`exited with code 3`, the validation error).
    public var message: String?
    /// Who produced the update.
    public var source: Source
    /// The agent the task is on, when known.
    public var agentID: AgentID?
    /// The executor running the task, for custom executors.
    public var executorID: ExecutorID?
    /// Identifies this update for acknowledgement; `nil` when no acknowledgement is needed.
    public var uuid: UUID?
    /// When the update was generated.
    public var timestamp: Timestamp
    /// The latest health-check verdict, for tasks with a health check.
    public var healthy: Bool?
    /// The latest readiness-check verdict (Mesos' `check_status`), for tasks with a
    /// ``TaskInfo/readinessCheck``: `true` once the task is ready to take traffic, `false`
    /// while it is not; `nil` when the task has no readiness check or no verdict is known yet.
    ///
    /// The command executor carries the last verdict on every later update of the task (as it
    /// does `healthy`); a change is reported as `TASK_RUNNING` with reason
    /// ``Reason/taskCheckStatusUpdated``.
    public var ready: Bool?
    /// The process's exit code, for tasks whose process exited.
    public var exitCode: Int32?

    /// Creates a status update.
    public init(
        taskID: TaskID,
        state: TaskState,
        reason: Reason? = nil,
        message: String? = nil,
        source: Source,
        agentID: AgentID? = nil,
        executorID: ExecutorID? = nil,
        uuid: UUID? = nil,
        timestamp: Timestamp,
        healthy: Bool? = nil,
        ready: Bool? = nil,
        exitCode: Int32? = nil
    ) {
        self.taskID = taskID
        self.state = state
        self.reason = reason
        self.message = message
        self.source = source
        self.agentID = agentID
        self.executorID = executorID
        self.uuid = uuid
        self.timestamp = timestamp
        self.healthy = healthy
        self.ready = ready
        self.exitCode = exitCode
    }

    /// Who produced a status update. JSON: the Mesos v1 names (`"SOURCE_EXECUTOR"`).
    public enum Source: String, Hashable, Sendable, Codable, CaseIterable {
        /// The master (validation errors, reconciliation, agent loss).
        case master = "SOURCE_MASTER"
        /// The agent (launch failures, executor exits, agent recovery).
        case agent = "SOURCE_AGENT"
        /// The task's executor (the normal lifecycle).
        case executor = "SOURCE_EXECUTOR"
    }

    /// Why a task is in its state: an extensible set of Mesos' reasons.
    ///
    /// JSON: the Mesos v1 name as a string (`"REASON_TASK_INVALID"`), so reasons added later
    /// decode in older code too.
    public struct Reason: Hashable, Sendable, Codable, CustomStringConvertible {
        /// The reason's Mesos name.
        public let rawValue: String

        /// A reason by its Mesos name; prefer the static values.
        public init(rawValue: String) { self.rawValue = rawValue }

        public var description: String { rawValue }

        public init(from decoder: any Decoder) throws {
            rawValue = try decoder.singleValueContainer().decode(String.self)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(rawValue)
        }

        /// The task's command exited non-zero or was killed by a signal.
        public static let commandExecutorFailed = Reason(rawValue: "REASON_COMMAND_EXECUTOR_FAILED")
        /// The task's executor terminated.
        public static let executorTerminated = Reason(rawValue: "REASON_EXECUTOR_TERMINATED")
        /// The task description was invalid.
        public static let taskInvalid = Reason(rawValue: "REASON_TASK_INVALID")
        /// The offers used to launch the task were invalid (unknown, stale, another framework's).
        public static let invalidOffers = Reason(rawValue: "REASON_INVALID_OFFERS")
        /// The task's agent was removed.
        public static let agentRemoved = Reason(rawValue: "REASON_AGENT_REMOVED")
        /// The task's agent stopped answering health pings.
        public static let agentUnreachable = Reason(rawValue: "REASON_AGENT_UNREACHABLE")
        /// The task's agent restarted without being able to recover the task.
        public static let agentRestarted = Reason(rawValue: "REASON_AGENT_RESTARTED")
        /// The task's agent disconnected before the task could be launched.
        public static let agentDisconnected = Reason(rawValue: "REASON_AGENT_DISCONNECTED")
        /// The task's framework was removed (torn down, or its failover timeout passed).
        public static let frameworkRemoved = Reason(rawValue: "REASON_FRAMEWORK_REMOVED")
        /// An answer to a reconciliation request.
        public static let reconciliation = Reason(rawValue: "REASON_RECONCILIATION")
        /// The task's health check changed its verdict (``TaskStatus/healthy``).
        public static let taskHealthCheckStatusUpdated = Reason(rawValue: "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED")
        /// The task's readiness check changed its verdict (``TaskStatus/ready``); the task
        /// goes on running either way.
        public static let taskCheckStatusUpdated = Reason(rawValue: "REASON_TASK_CHECK_STATUS_UPDATED")
        /// The task was killed because its health check failed.
        public static let taskUnhealthy = Reason(rawValue: "REASON_TASK_UNHEALTHY")
        /// The task was killed before it had started.
        public static let taskKilledDuringLaunch = Reason(rawValue: "REASON_TASK_KILLED_DURING_LAUNCH")
        /// The allocator chose the task for preemption in favour of a more important framework.
        public static let preempted = Reason(rawValue: "REASON_CONTAINER_PREEMPTED")
        /// The agent's sandbox or process launch failed.
        public static let containerLaunchFailed = Reason(rawValue: "REASON_CONTAINER_LAUNCH_FAILED")
        /// The task exceeded a resource limit of its container.
        public static let containerLimitation = Reason(rawValue: "REASON_CONTAINER_LIMITATION")
        /// The task used more memory than its `mem` and the kernel killed it.
        public static let containerLimitationMemory = Reason(rawValue: "REASON_CONTAINER_LIMITATION_MEMORY")
    }
}
