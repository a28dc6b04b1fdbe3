public import RoostCore

/// Identifies one scheduler connection to the master; assigned by the transport.
///
/// A framework keeps its ``FrameworkID`` across connections; a newer connection
/// subscribing as the same framework fences the older one.
public struct ConnectionID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The connection's number, unique within one master process.
    public var rawValue: UInt64

    /// Creates a connection ID.
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    public static func < (lhs: ConnectionID, rhs: ConnectionID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "connection-\(rawValue)" }
}

/// Something the master's state machine decided to send; the shell around it does the I/O.
public enum MasterOutput: Hashable, Sendable {
    /// An event for one scheduler connection.
    case scheduler(ConnectionID, SchedulerEvent.Kind)
    /// Close a scheduler connection (after a failover or teardown error).
    case closeScheduler(ConnectionID)
    /// A message for an agent.
    case agent(AgentID, AgentEvent.Kind)
}

/// A task as the master tracks it.
public struct MasterTask: Hashable, Sendable, Codable {
    /// The task as launched.
    public var info: TaskInfo
    /// Its framework.
    public var frameworkID: FrameworkID
    /// The agent it runs on.
    public var agentID: AgentID
    /// The role its resources are allocated under.
    public var role: Role
    /// Its latest known state.
    public var state: TaskState
    /// The latest status update received for it.
    public var latestStatus: TaskStatus?
    /// Its latest usage as its agent reported it (agents isolating with cgroups report it
    /// every `usageInterval`); `nil` before the first report or without accounting.
    public var usage: ResourceUsage?
}
