public import RoostCore

/// Isolation by process group only: no limits and no accounting; a kill reaches the task's
/// process group (``TaskProcess``), so a process that leaves it (`setsid`) escapes.
///
/// What an agent uses where cgroups are not mounted or not writable (not root, most
/// containers), and with `--isolation none`.
public struct ProcessGroupIsolator: Isolator {
    /// An isolator that isolates by process group.
    public init() {}

    /// ``IsolationKind/processGroups``.
    public var kind: IsolationKind { .processGroups }

    /// Nothing to make: the process starts its own group.
    public func prepare(_ task: TaskInfo, container: ContainerID) throws(IsolationError) -> ContainerPlacement {
        ContainerPlacement()
    }

    /// Nothing to do: ``TaskProcess`` already killed what was left in the group.
    public func destroy(_ container: ContainerID) async {}

    /// Always `nil`: nothing is limited.
    public func limitation(of container: ContainerID) -> ContainerLimitation? { nil }

    /// Always `nil`: nothing is accounted.
    public func usage(of container: ContainerID) -> ResourceUsage? { nil }

    /// Nothing to remove.
    public func removeStale(keeping: Set<ContainerID>) async {}

    /// Nothing to remove.
    public func close() async {}
}
