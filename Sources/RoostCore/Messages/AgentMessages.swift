public import FoundationEssentials

/// A message from an agent to the master.
///
/// JSON: `{"agentID": "a-1", "kind": {"update": {"frameworkID": "f-1", "status": {…}}}}`.
public struct AgentCall: Hashable, Sendable, Codable {
    /// The sending agent; `nil` only in a first `register`.
    public var agentID: AgentID?
    /// What the agent reports or asks.
    public var kind: Kind

    /// Creates an agent message.
    public init(agentID: AgentID?, _ kind: Kind) {
        self.agentID = agentID
        self.kind = kind
    }

    /// The kinds of agent message.
    public enum Kind: Hashable, Sendable, Codable {
        /// First registration: the master answers with an assigned ID.
        case register(agent: AgentInfo)
        /// Re-registration after an agent or master restart, with everything still running.
        case reregister(agent: AgentInfo, tasks: [AgentTaskReport], frameworks: [FrameworkInfo])
        /// A task status update; resent until the master acknowledges its `uuid`.
        case update(frameworkID: FrameworkID, status: TaskStatus)
        /// Opaque bytes from a custom executor to its framework.
        case message(frameworkID: FrameworkID, executorID: ExecutorID, data: Data)
        /// A custom executor exited (`status` is its wait status, when known).
        case executorExited(frameworkID: FrameworkID, executorID: ExecutorID, status: Int32?)
        /// The latest usage of the agent's running tasks (sampled every
        /// `usageInterval`), for the master's `state`.
        case usage(tasks: [TaskUsage])
        /// Answer to a master's `ping`.
        case pong
        /// The agent is shutting down for good; its tasks are gone.
        case unregister
    }
}

/// A task an agent reports when it re-registers.
///
/// JSON fields: `frameworkID`, `task`, `state`, `latestStatus`.
public struct AgentTaskReport: Hashable, Sendable, Codable {
    /// The task's framework.
    public var frameworkID: FrameworkID
    /// The task as launched.
    public var task: TaskInfo
    /// Its current state on the agent.
    public var state: TaskState
    /// The newest status update, acknowledged or not.
    public var latestStatus: TaskStatus?

    /// Creates a task report.
    public init(frameworkID: FrameworkID, task: TaskInfo, state: TaskState, latestStatus: TaskStatus? = nil) {
        self.frameworkID = frameworkID
        self.task = task
        self.state = state
        self.latestStatus = latestStatus
    }
}

/// A message from the master to an agent.
///
/// Carries the master's ``LeaderEpoch``: an agent refuses messages with an
/// epoch older than the newest it has seen (a deposed leader is fenced).
///
/// JSON: `{"epoch": 3, "kind": {"killTask": {"frameworkID": "f-1", "taskID": "t-1", "gracePeriodSeconds": 3}}}`.
public struct AgentEvent: Hashable, Sendable, Codable {
    /// The epoch of the master that sent the message.
    public var epoch: LeaderEpoch
    /// What the master tells the agent.
    public var kind: Kind

    /// Creates a master-to-agent message.
    public init(epoch: LeaderEpoch, _ kind: Kind) {
        self.epoch = epoch
        self.kind = kind
    }

    /// The kinds of master-to-agent message.
    public enum Kind: Hashable, Sendable, Codable {
        /// The agent is registered under `agentID`; the master pings it every `pingIntervalSeconds`.
        case registered(agentID: AgentID, master: MasterInfo, pingIntervalSeconds: Double)
        /// The agent's re-registration was accepted.
        case reregistered(agentID: AgentID, master: MasterInfo, pingIntervalSeconds: Double)
        /// Run a task for a framework.
        case runTask(framework: FrameworkInfo, task: TaskInfo)
        /// Kill a task; `gracePeriodSeconds` overrides the task's own kill grace period.
        case killTask(frameworkID: FrameworkID, taskID: TaskID, gracePeriodSeconds: Double?)
        /// The framework acknowledged a status update: stop resending it.
        case acknowledge(frameworkID: FrameworkID, taskID: TaskID, uuid: UUID)
        /// Opaque bytes from a framework to one of its custom executors.
        case message(frameworkID: FrameworkID, executorID: ExecutorID, data: Data)
        /// The framework is gone: kill its tasks and executors.
        case shutdownFramework(frameworkID: FrameworkID)
        /// Shut down one custom executor and its tasks.
        case shutdownExecutor(frameworkID: FrameworkID, executorID: ExecutorID)
        /// Are you there? Answer with `pong`.
        case ping
    }
}
