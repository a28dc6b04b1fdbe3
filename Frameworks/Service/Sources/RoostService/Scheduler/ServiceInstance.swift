public import RoostCore

/// One instance of a service: a task the scheduler launched, as it last heard of it.
///
/// JSON fields: `taskID`, `version`, `agentID`, `hostname`, `ports`, `placement`,
/// `launchedAt`, `startedAt`, `state`, `healthy`, `ready`, `hasHealthCheck`,
/// `hasReadinessCheck`, `killing`, `message`.
public struct ServiceInstance: Hashable, Sendable, Codable {
    /// The instance's task.
    public var taskID: TaskID
    /// The ``ServiceSpec/version`` it runs.
    public var version: String
    /// Where it runs.
    public var agentID: AgentID
    /// The agent's host name.
    public var hostname: String
    /// Its ports, in the order of the spec's ``ServiceSpec/ports``.
    public var ports: [Int]
    /// The values of the constrained attributes of its agent when it was placed (for
    /// constraints such as `UNIQUE` and `MAX_PER`, which count other instances).
    public var placement: [String: String]
    /// When it was launched.
    public var launchedAt: Timestamp
    /// When it was first reported running; `nil` before.
    public var startedAt: Timestamp?
    /// The last state reported.
    public var state: TaskState
    /// The health check's last verdict; `nil` before the first (or without a check).
    public var healthy: Bool?
    /// The readiness check's last verdict; `nil` before the first (or without a check).
    public var ready: Bool?
    /// Whether its version has a health check.
    public var hasHealthCheck: Bool
    /// Whether its version has a readiness check.
    public var hasReadinessCheck: Bool
    /// Whether the scheduler has asked for it to be killed.
    public var killing: Bool
    /// The last status message.
    public var message: String?

    /// Whether it counts as healthy for deployments and status: running, its health check
    /// passed (if it has one) and its readiness check passed (if it has one).
    public var isHealthy: Bool {
        state == .running && !killing && (!hasHealthCheck || healthy == true) && (!hasReadinessCheck || ready == true)
    }

    /// The planner's view of it.
    var snapshot: InstanceSnapshot {
        let phase: InstanceSnapshot.Phase = killing ? .killing : (state == .running ? .running : .launching)
        return InstanceSnapshot(id: taskID, version: version, phase: phase, healthy: isHealthy, startedAt: startedAt ?? launchedAt)
    }
}
