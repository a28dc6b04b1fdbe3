public import RoostCore

/// The last instance of a service that failed.
///
/// JSON fields: `taskID`, `version`, `state`, `reason`, `message`, `at`.
public struct InstanceFailure: Hashable, Sendable, Codable {
    /// The instance's task.
    public var taskID: TaskID
    /// The version it ran.
    public var version: String
    /// How it ended.
    public var state: TaskState
    /// Mesos' reason, when the update gave one.
    public var reason: String?
    /// The update's message: the exit code, or the failing check's detail.
    public var message: String
    /// When it was reported.
    public var at: Timestamp
}
