public import RoostCore

/// What a task does on a ``SimulatedCluster``: its states over virtual time.
///
/// Every launched task reports `TASK_RUNNING` at once; the behaviour decides what follows.
/// Choose per task with ``SimulatedCluster/Configuration/behavior``.
public enum TaskBehavior: Sendable, Hashable {
    /// Runs for the duration, then reports `TASK_FINISHED` (exit code 0).
    case finish(after: Duration)
    /// Runs for the duration, then reports `TASK_FAILED` with the exit code.
    case fail(after: Duration, exitCode: Int32)
    /// Runs until it is killed or its agent goes away.
    case runForever
    /// Reports each step's state when its delay (counted from the previous step) has passed;
    /// steps after a terminal state are ignored. With no terminal step the task then runs
    /// until killed.
    case script([TaskStep])

    /// The steps this behaviour takes after `TASK_RUNNING`.
    var steps: [TaskStep] {
        switch self {
        case .finish(let after): [TaskStep(after: after, state: .finished, exitCode: 0)]
        case .fail(let after, let code): [TaskStep(after: after, state: .failed, exitCode: code, message: "exited with code \(code)")]
        case .runForever: []
        case .script(let steps): steps
        }
    }
}

/// One step of a scripted task: a state reported some time after the previous step.
public struct TaskStep: Sendable, Hashable {
    /// Virtual time after the previous step (or after the launch, for the first).
    public var after: Duration
    /// The state reported.
    public var state: TaskState
    /// The exit code, for terminal states of command tasks.
    public var exitCode: Int32?
    /// The status message.
    public var message: String?
    /// The health, for tasks with a health check; `nil` leaves it unset.
    public var healthy: Bool?
    /// The readiness, for tasks with a readiness check; `nil` leaves it unset.
    public var ready: Bool?

    /// A step; see each property.
    public init(after: Duration, state: TaskState, exitCode: Int32? = nil, message: String? = nil, healthy: Bool? = nil, ready: Bool? = nil) {
        self.after = after
        self.state = state
        self.exitCode = exitCode
        self.message = message
        self.healthy = healthy
        self.ready = ready
    }
}
