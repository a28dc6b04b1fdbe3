import RoostCore

/// An in-process executor: it runs a task's work inside the agent's process instead of
/// starting a command. Its work here is counting the words of the task's `text` label; the
/// count is the message of the task's `TASK_FINISHED`.
///
/// A task runs on it when the task's `executor` is ``info``; every agent of the embedded cluster
/// knows it by ``name`` (see `main.swift`). Replace the work with yours: the protocol is
/// `launch` (report `TASK_STARTING`, `TASK_RUNNING`, then one terminal state), `kill` and `shutdown`.
public actor {{name}}Executor: RoostCore.Executor {
    /// The name agents know this executor by.
    public static let name = "{{command}}-executor"
    /// The label that carries a task's text.
    public static let textLabel = "text"
    /// What a task names to run on this executor.
    public static var info: ExecutorInfo { ExecutorInfo(id: ExecutorID(name), name: name) }

    /// An executor; the agent makes one per framework.
    public init() {}

    /// Counts the words of the task's text and reports the count as the task finishes.
    public func launch(_ driver: any ExecutorDriver, task: TaskInfo) async throws {
        try await driver.sendStatusUpdate(TaskStatusReport(taskID: task.id, state: .starting))
        try await driver.sendStatusUpdate(TaskStatusReport(taskID: task.id, state: .running))
        guard let text = task.labels[Self.textLabel] else {
            try await driver.sendStatusUpdate(TaskStatusReport(taskID: task.id, state: .failed, message: "no '\(Self.textLabel)' label to count"))
            return
        }
        let words = text.split(whereSeparator: { $0.isWhitespace }).count
        try await driver.sendStatusUpdate(TaskStatusReport(taskID: task.id, state: .finished, message: "\(words) words", exitCode: 0))
    }

    /// The work ends within `launch`, so a task still known is reported killed at once.
    public func kill(_ driver: any ExecutorDriver, taskID: TaskID, gracePeriod: Duration) async {
        try? await driver.sendStatusUpdate(TaskStatusReport(taskID: taskID, state: .killed))
    }

    /// Nothing runs between calls, so there is nothing to stop.
    public func shutdown(_ driver: any ExecutorDriver, gracePeriod: Duration) async {}
}
