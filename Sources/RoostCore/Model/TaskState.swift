/// The state of a task, with Mesos' full set of states and its state machine.
///
/// JSON: the Mesos v1 names (`"TASK_RUNNING"`). The legal transitions are
/// data (``TaskState/legalTransitions``), so the master can reject an
/// illegal update instead of corrupting its bookkeeping.
public enum TaskState: String, CaseIterable, Hashable, Sendable, Codable, CustomStringConvertible {
    /// Accepted by the master, on its way to the agent (initial state).
    case staging = "TASK_STAGING"
    /// The executor is starting the task.
    case starting = "TASK_STARTING"
    /// The task is running.
    case running = "TASK_RUNNING"
    /// A kill was requested and the task is shutting down within its grace period.
    case killing = "TASK_KILLING"
    /// Terminal: the task exited successfully (exit code 0).
    case finished = "TASK_FINISHED"
    /// Terminal: the task exited with a failure (non-zero exit code or signal).
    case failed = "TASK_FAILED"
    /// Terminal: the task was killed on request.
    case killed = "TASK_KILLED"
    /// Terminal: the task description was invalid and it was never launched.
    case error = "TASK_ERROR"
    /// Terminal: the task was lost (its agent failed) and the framework is not partition-aware.
    case lost = "TASK_LOST"
    /// Terminal: the task could not be launched (for example the agent went away first).
    case dropped = "TASK_DROPPED"
    /// The task's agent is unreachable; the task may still be running and may come back.
    case unreachable = "TASK_UNREACHABLE"
    /// Terminal: the task's agent is gone for good (removed or restarted with a new identity).
    case gone = "TASK_GONE"
    /// Terminal: an operator marked the task's agent as gone.
    case goneByOperator = "TASK_GONE_BY_OPERATOR"
    /// The master does not know the task; only ever a reconciliation answer, never a stored state.
    case unknown = "TASK_UNKNOWN"

    /// Whether no further transition is possible: finished, failed, killed, error, lost, dropped, gone, gone by operator.
    public var isTerminal: Bool {
        switch self {
        case .finished, .failed, .killed, .error, .lost, .dropped, .gone, .goneByOperator: true
        case .staging, .starting, .running, .killing, .unreachable, .unknown: false
        }
    }

    /// Whether a task in this state may be holding resources on an agent.
    public var holdsResources: Bool { !isTerminal && self != .unknown }

    public var description: String { rawValue }

    /// States reachable from a state in one update, as in the Mesos master.
    ///
    /// - A non-terminal state may repeat (Mesos resends `TASK_RUNNING` when health changes).
    /// - `unreachable` may return to `starting`, `running` or `killing` when the agent
    ///   re-registers with the task still alive.
    /// - Terminal states and `unknown` have no way out; nothing transitions into `unknown`
    ///   or back into `staging`.
    public static let legalTransitions: [TaskState: Set<TaskState>] = {
        let ends: Set<TaskState> = [.finished, .failed, .killed, .lost, .unreachable, .gone, .goneByOperator]
        return [
            .staging: ends.union([.staging, .starting, .running, .killing, .error, .dropped]),
            .starting: ends.union([.starting, .running, .killing]),
            .running: ends.union([.running, .killing]),
            .killing: ends.union([.killing]),
            .unreachable: ends.union([.starting, .running, .killing]),
            .finished: [], .failed: [], .killed: [], .error: [], .lost: [],
            .dropped: [], .gone: [], .goneByOperator: [], .unknown: [],
        ]
    }()

    /// Whether an update may move a task from this state to `next`.
    public func canTransition(to next: TaskState) -> Bool {
        TaskState.legalTransitions[self, default: []].contains(next)
    }
}
