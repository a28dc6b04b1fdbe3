public import RoostCore

/// Where a job is and how it got there: its conditions, task counts, times and task history,
/// as Kubernetes' `JobStatus`.
///
/// JSON fields: `name`, `conditions`, `active`, `succeeded`, `failed`, `ignored`,
/// `startTime`, `completionTime`, `completedIndexes`, `tasks`. Times are seconds since the
/// Unix epoch on the scheduler's clock.
public struct JobStatus: Hashable, Sendable, Codable {
    /// The job's name.
    public var name: String
    /// Every condition the job has been in, oldest first; the last is the current one.
    public var conditions: [JobCondition]
    /// Tasks launched and not yet ended (including those being killed).
    public var active: Int
    /// Successful tasks (for indexed jobs: indexes that succeeded).
    public var succeeded: Int
    /// Failed tasks counted against `backoffLimit` (and failures that failed the job by a rule).
    public var failed: Int
    /// Failed tasks a failure rule said to ignore; they were retried without counting.
    public var ignored: Int
    /// When the job became active: submitted unsuspended, or last resumed. The active deadline
    /// counts from here.
    public var startTime: Timestamp?
    /// When the job succeeded or failed.
    public var completionTime: Timestamp?
    /// For indexed jobs, the indexes that have succeeded, in order.
    public var completedIndexes: [Int]
    /// The job's tasks: every active one and the most recent ended ones
    /// (at most ``JobStatus/historyLimit`` ended ones), in launch order.
    public var tasks: [TaskRecord]

    /// How many ended tasks a job's history keeps; older ones are dropped (the counts keep them).
    public static let historyLimit = 200

    /// The current condition.
    public var condition: JobCondition { conditions[conditions.count - 1] }

    /// Whether the job succeeded or failed: nothing more will run.
    public var isFinished: Bool { condition.kind == .succeeded || condition.kind == .failed }

    /// Why the job failed, when it did.
    public var failureReason: JobFailureReason? { condition.kind == .failed ? condition.reason : nil }

    /// Creates the status of a job that has just been submitted, in condition `initial`.
    public init(name: String, initial: JobCondition) {
        self.name = name
        conditions = [initial]
        active = 0
        succeeded = 0
        failed = 0
        ignored = 0
        startTime = nil
        completionTime = nil
        completedIndexes = []
        tasks = []
    }
}

/// A state a job is in, since when and why.
///
/// JSON fields: `kind` (`Pending`, `Running`, `Succeeded`, `Failed`, `Suspended`), `reason`
/// (failed jobs: `BackoffLimitExceeded`, `DeadlineExceeded`, `FailedByRule`), `message`, `since`.
public struct JobCondition: Hashable, Sendable, Codable {
    /// The kinds of condition, as Kubernetes names a Job's.
    public enum Kind: String, Hashable, Sendable, Codable, CaseIterable {
        /// Submitted; no task has started running yet (waiting for offers, or for a retry).
        case pending = "Pending"
        /// At least one task has run and the job is not finished.
        case running = "Running"
        /// Every completion succeeded (Kubernetes `Complete`).
        case succeeded = "Succeeded"
        /// The job gave up; ``JobCondition/reason`` says why.
        case failed = "Failed"
        /// Suspended: no task runs until it is resumed.
        case suspended = "Suspended"
    }

    /// Which condition.
    public var kind: Kind
    /// Why the job failed (only for ``Kind/failed``).
    public var reason: JobFailureReason?
    /// A human-readable explanation (`task nightly-x1-3 exited with code 42, which rule 0 says fails the job`).
    public var message: String
    /// When the job entered this condition.
    public var since: Timestamp

    /// Creates a condition.
    public init(kind: Kind, reason: JobFailureReason? = nil, message: String, since: Timestamp) {
        self.kind = kind
        self.reason = reason
        self.message = message
        self.since = since
    }
}

/// Why a job failed: Kubernetes' Job failure reasons, an extensible set compared with `==`.
///
/// JSON: the name as a string (`"DeadlineExceeded"`).
public struct JobFailureReason: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The reason's name.
    public let name: String

    /// A reason by name; prefer the static values.
    public init(_ name: String) { self.name = name }

    public var description: String { name }

    public init(from decoder: any Decoder) throws { name = try decoder.singleValueContainer().decode(String.self) }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }

    /// More tasks failed (counted) than `backoffLimit` allows.
    public static let backoffLimitExceeded = JobFailureReason("BackoffLimitExceeded")
    /// The job was active longer than `activeDeadlineSeconds`; this wins over retries left.
    public static let deadlineExceeded = JobFailureReason("DeadlineExceeded")
    /// A task failed with an exit code a `failJob` rule names (Kubernetes `PodFailurePolicy`).
    public static let failedByRule = JobFailureReason("FailedByRule")
}

/// One task of a job: where it ran, how it ended, and where its output is.
///
/// JSON fields: `taskID`, `index` (indexed jobs), `attempt`, `agentID`, `state`, `exitCode`,
/// `message`, `outcome`, `launchedAt`, `finishedAt`, `sandbox`, `placement`, `killRequested`.
public struct TaskRecord: Hashable, Sendable, Codable {
    /// The task's ID: `<job>-<run>-<n>`, unique across every run of every job.
    public var taskID: TaskID
    /// The index it works on (indexed jobs), also in its `ROOST_JOB_INDEX`.
    public var index: Int?
    /// Which attempt this is at its index (indexed jobs; 1 for the first), also in its `ROOST_JOB_ATTEMPT`.
    public var attempt: Int
    /// The agent it was launched on.
    public var agentID: AgentID
    /// Its latest state.
    public var state: TaskState
    /// Its process's exit code, when the agent reported one.
    public var exitCode: Int32?
    /// The latest status message (`exited with code 3`).
    public var message: String?
    /// What its end meant for the job; `nil` while it runs.
    public var outcome: TaskOutcome?
    /// When it was launched.
    public var launchedAt: Timestamp
    /// When it ended.
    public var finishedAt: Timestamp?
    /// Its sandbox (with its `stdout` and `stderr` files), derived from the agent's documented
    /// layout: `frameworks/<framework>/executors/roost-command-executor/runs/<task>` under the
    /// agent's work directory. Absolute when the scheduler was told the agent's work directory
    /// (``BatchScheduler/Configuration/agentWorkDirectories``), else relative to it: status
    /// updates do not carry the sandbox path.
    public var sandbox: String
    /// The agent's values of the attributes the job's constraints name, as they were at launch:
    /// the constraints compare them while the task is active.
    public var placement: [String: String]
    /// Whether the scheduler asked for the task to be killed (suspend, deadline, job ended,
    /// parallelism lowered); such a task's end is not counted as a failure.
    public var killRequested: Bool

    /// Whether the task still runs (or may: it has not reached a terminal state).
    public var isActive: Bool { !state.isTerminal }
}

/// What a task's end meant for its job.
///
/// JSON: the case name (`"succeeded"`).
public enum TaskOutcome: String, Hashable, Sendable, Codable {
    /// It succeeded and counts towards `completions`.
    case succeeded
    /// It failed and counts against `backoffLimit` (or failed the job by a rule).
    case failed
    /// It failed and a rule said to ignore it: retried without counting.
    case ignored
    /// It was stopped by the scheduler (suspend, deadline, end of job, lower parallelism),
    /// or its launch never happened: not counted.
    case stopped
}
