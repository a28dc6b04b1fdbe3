public import RoostCore

/// What the instance planner needs to know about one instance of a service, as the scheduler
/// sees it at the moment it asks for a plan.
///
/// The scheduler builds one snapshot per instance it knows of, including instances it has
/// decided to launch but not yet placed (as ``Phase/launching``) and instances it has sent a
/// kill for (as ``Phase/killing``) until their terminal status arrives. The planner relies on
/// that: an instance missing from the snapshot is one it will launch again, and one not marked
/// killing is one it may kill again.
public struct InstanceSnapshot: Hashable, Sendable, Codable {
    /// Where an instance is in its life, as far as deployment is concerned.
    public enum Phase: String, Hashable, Sendable, Codable, CaseIterable {
        /// Decided, offered, staging or starting: not yet running.
        case launching
        /// Running (its health is in ``InstanceSnapshot/healthy``).
        case running
        /// A kill was sent; the process may still be alive and hold resources.
        case killing
    }

    /// The instance's task.
    public var id: TaskID
    /// The spec version the instance runs. Opaque: versions are only compared for equality.
    public var version: String
    /// Where the instance is in its life.
    public var phase: Phase
    /// Whether the instance can serve: it runs, its health checks pass (or it has none), and it
    /// is ready.
    ///
    /// The caller folds readiness in: an instance whose health checks pass but whose readiness
    /// check does not yet is not healthy here, because a deployment must not stop an old
    /// instance for a new one that cannot take its traffic. Only a ``Phase/running`` instance
    /// counts as healthy, whatever this flag says.
    public var healthy: Bool
    /// When the instance was launched; ``KillSelection`` orders by it.
    public var startedAt: Timestamp

    /// Creates a snapshot of one instance.
    public init(id: TaskID, version: String, phase: Phase, healthy: Bool, startedAt: Timestamp) {
        self.id = id
        self.version = version
        self.phase = phase
        self.healthy = healthy
        self.startedAt = startedAt
    }

    /// Whether the instance counts toward the healthy total: running and healthy.
    public var countsAsHealthy: Bool { phase == .running && healthy }

    /// Whether the instance is neither being killed nor gone: it launches, runs, or will.
    public var isLive: Bool { phase != .killing }
}
