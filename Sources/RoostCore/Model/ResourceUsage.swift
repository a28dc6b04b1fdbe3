/// A task's resource usage as its agent's isolator accounts for it, as Mesos'
/// `/monitor/statistics` reports it. JSON fields are the property names.
public struct ResourceUsage: Hashable, Sendable, Codable {
    /// Memory in use now, in bytes.
    public var memoryBytes: Int64
    /// The most memory used at once, in bytes.
    public var memoryPeakBytes: Int64
    /// CPU time in user mode, in seconds.
    public var cpuUserSeconds: Double
    /// CPU time in the kernel, in seconds.
    public var cpuSystemSeconds: Double
    /// Processes (and threads, for cgroup v1 `pids.current`) in the container.
    public var processes: Int

    /// Usage; see each property.
    public init(memoryBytes: Int64, memoryPeakBytes: Int64, cpuUserSeconds: Double, cpuSystemSeconds: Double, processes: Int) {
        self.memoryBytes = memoryBytes
        self.memoryPeakBytes = memoryPeakBytes
        self.cpuUserSeconds = cpuUserSeconds
        self.cpuSystemSeconds = cpuSystemSeconds
        self.processes = processes
    }
}

/// One task's usage, as an agent reports it to the master.
public struct TaskUsage: Hashable, Sendable, Codable {
    /// The task's framework.
    public var frameworkID: FrameworkID
    /// The task.
    public var taskID: TaskID
    /// What it uses.
    public var usage: ResourceUsage

    /// A report; see each property.
    public init(frameworkID: FrameworkID, taskID: TaskID, usage: ResourceUsage) {
        self.frameworkID = frameworkID
        self.taskID = taskID
        self.usage = usage
    }
}
