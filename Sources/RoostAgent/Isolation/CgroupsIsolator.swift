public import RoostCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Isolation by cgroups, as Mesos' containerizer does it: one cgroup per task under an
/// agent-owned parent (`roost/<agent>/<framework>.<task>`), with the task's `mem` as a hard
/// memory limit, a CPU weight from its `cpus`, an optional hard CPU cap and a pids limit.
/// A kill freezes the cgroup, signals every process in it and thaws it, so processes that
/// called `setsid` or double-forked die too; the cgroup is removed when the task ends.
///
/// Works with the unified cgroup v2 hierarchy where it offers the `memory`, `cpu` and `pids`
/// controllers (under `<mount>/roost/…`), and with the v1 hierarchies (`memory`, `cpu`,
/// `cpuacct`, and `pids`, `freezer` where mounted) otherwise — under the agent's own cgroup
/// in each, so tasks stay inside whatever limits the agent itself runs under.
public final class CgroupsIsolator: Isolator {
    /// How tasks are limited.
    public struct Configuration: Sendable, Hashable {
        /// The agent's name in the cgroup path (`roost/<agentName>`); one per work directory.
        public var agentName: String
        /// Whether `cpus` is also a hard cap (CFS quota / `cpu.max`), as Mesos'
        /// `--cgroups_enable_cfs`. Default `false`: `cpus` is a weight, as Mesos by default.
        public var enableCFSQuota: Bool
        /// The most processes (and threads) a task may have; `nil` for no limit. Default
        /// 4,096, a guard against fork bombs (Mesos and Kubernetes leave it unset by default).
        public var pidsLimit: Int?

        /// A configuration; see each property for its default.
        public init(agentName: String, enableCFSQuota: Bool = false, pidsLimit: Int? = 4_096) {
            self.agentName = agentName
            self.enableCFSQuota = enableCFSQuota
            self.pidsLimit = pidsLimit
        }
    }

    /// This isolator's configuration.
    public let configuration: Configuration
    private let hierarchy: CgroupHierarchy

    /// An isolator on this machine's cgroups.
    /// - Throws: ``IsolationError`` `.unavailable` when no usable hierarchy is mounted or the
    ///   agent's parent cgroup cannot be created (not root, a read-only `/sys/fs/cgroup`).
    public init(configuration: Configuration) throws(IsolationError) {
        guard let hierarchy = CgroupHierarchy.detect() else {
            throw IsolationError(.unavailable, "no usable cgroup hierarchy: neither cgroup v2 with the memory, cpu and pids controllers nor cgroup v1 with memory, cpu and cpuacct is mounted")
        }
        self.configuration = configuration
        self.hierarchy = hierarchy
        do {
            for parent in parents {
                try CgroupFiles.makeDirectory(parent)
            }
            if case .v2(let mount) = hierarchy {
                // Controllers must be enabled on the way down for the tasks' cgroups to have them.
                try CgroupFiles.write("+memory +cpu +pids", to: mount + "/cgroup.subtree_control")
                try CgroupFiles.write("+memory +cpu +pids", to: mount + "/roost/cgroup.subtree_control")
                try CgroupFiles.write("+memory +cpu +pids", to: parents[0] + "/cgroup.subtree_control")
            }
        } catch {
            throw IsolationError(.unavailable, "cgroups are mounted but not writable here: \(error.message)")
        }
    }

    /// ``IsolationKind/cgroupsV1`` or ``IsolationKind/cgroupsV2``.
    public var kind: IsolationKind {
        if case .v2 = hierarchy { return .cgroupsV2 }
        return .cgroupsV1
    }

    /// The agent's parent cgroup in each hierarchy.
    var parents: [String] {
        switch hierarchy {
        case .v1(let v1): v1.mounts.map { v1.own($0) + "/roost/" + configuration.agentName }
        case .v2(let mount): [mount + "/roost/" + configuration.agentName]
        }
    }

    /// A container's cgroup in each hierarchy.
    func directories(_ container: ContainerID) -> [String] {
        parents.map { $0 + "/" + container.value }
    }

    private func directory(of controller: String, _ container: ContainerID) -> String? {
        switch hierarchy {
        case .v2(let mount):
            return mount + "/roost/" + configuration.agentName + "/" + container.value
        case .v1(let v1):
            let mount: String? = switch controller {
            case "memory": v1.memory
            case "cpu": v1.cpu
            case "cpuacct": v1.cpuacct
            case "pids": v1.pids
            case "freezer": v1.freezer
            default: nil
            }
            return mount.map { v1.own($0) + "/roost/" + configuration.agentName + "/" + container.value }
        }
    }

    // MARK: Isolator

    /// Creates the task's cgroups and writes its limits: memory from `mem` (hard), CPU weight
    /// from `cpus` (v1 `cpu.shares = 1024 × cpus`; v2 the equivalent `cpu.weight`), the CFS
    /// quota when enabled, and the pids limit.
    public func prepare(_ task: TaskInfo, container: ContainerID) throws(IsolationError) -> ContainerPlacement {
        let directories = directories(container)
        for directory in directories { try CgroupFiles.makeDirectory(directory) }
        let memoryMB = task.resources.scalar(named: "mem").doubleValue
        let cpus = task.resources.scalar(named: "cpus").doubleValue
        let shares = max(2, Int((cpus * 1024).rounded()))
        let quota = max(1_000, Int((cpus * 100_000).rounded()))
        switch hierarchy {
        case .v1:
            if memoryMB > 0, let memory = directory(of: "memory", container) {
                try CgroupFiles.write(String(Int64(memoryMB * 1_048_576)), to: memory + "/memory.limit_in_bytes")
            }
            if let cpu = directory(of: "cpu", container) {
                try CgroupFiles.write(String(shares), to: cpu + "/cpu.shares")
                if configuration.enableCFSQuota, cpus > 0 {
                    try CgroupFiles.write("100000", to: cpu + "/cpu.cfs_period_us")
                    try CgroupFiles.write(String(quota), to: cpu + "/cpu.cfs_quota_us")
                }
            }
            if let limit = configuration.pidsLimit, let pids = directory(of: "pids", container) {
                try CgroupFiles.write(String(limit), to: pids + "/pids.max")
            }
        case .v2:
            let directory = directories[0]
            if memoryMB > 0 {
                try CgroupFiles.write(String(Int64(memoryMB * 1_048_576)), to: directory + "/memory.max")
                try? CgroupFiles.write("0", to: directory + "/memory.swap.max")
            }
            // The shares → weight mapping runc and systemd use: [2, 262144] onto [1, 10000].
            let weight = 1 + ((shares - 2) * 9_999) / 262_142
            try CgroupFiles.write(String(weight), to: directory + "/cpu.weight")
            if configuration.enableCFSQuota, cpus > 0 {
                try CgroupFiles.write("\(quota) 100000", to: directory + "/cpu.max")
            }
            if let limit = configuration.pidsLimit {
                try CgroupFiles.write(String(limit), to: directory + "/pids.max")
            }
        }
        return ContainerPlacement(procsFiles: directories.map { $0 + "/cgroup.procs" })
    }

    /// Freezes the cgroup (where a freezer is available), SIGKILLs every process in it, thaws
    /// it, waits until it is empty and removes it from every hierarchy.
    public func destroy(_ container: ContainerID) async {
        let directories = directories(container).filter { access($0, F_OK) == 0 }
        guard !directories.isEmpty else { return }
        _ = await Backoff.poll(until: ContinuousClock.now + .seconds(10)) {
            killAll(container)
            return directories.allSatisfy { CgroupFiles.processes($0).isEmpty }
        }
        _ = await Backoff.poll(until: ContinuousClock.now + .seconds(5)) {
            directories.allSatisfy { rmdir($0) == 0 || errno == ENOENT }
        }
    }

    /// One round of freeze, kill everything, thaw.
    private func killAll(_ container: ContainerID) {
        switch hierarchy {
        case .v2:
            guard let directory = directory(of: "memory", container) else { return }
            if (try? CgroupFiles.write("1", to: directory + "/cgroup.kill")) != nil { return }
            try? CgroupFiles.write("1", to: directory + "/cgroup.freeze")
            for pid in CgroupFiles.processes(directory) { kill(pid, SIGKILL) }
            try? CgroupFiles.write("0", to: directory + "/cgroup.freeze")
        case .v1:
            let freezer = directory(of: "freezer", container)
            if let freezer { try? CgroupFiles.write("FROZEN", to: freezer + "/freezer.state") }
            for directory in directories(container) {
                for pid in CgroupFiles.processes(directory) { kill(pid, SIGKILL) }
            }
            if let freezer { try? CgroupFiles.write("THAWED", to: freezer + "/freezer.state") }
        }
    }

    /// The memory limit, when the kernel's OOM killer killed something in the cgroup (v1
    /// `memory.oom_control` `oom_kill`, v2 `memory.events` `oom_kill`).
    public func limitation(of container: ContainerID) -> ContainerLimitation? {
        guard let memory = directory(of: "memory", container) else { return nil }
        switch hierarchy {
        case .v1:
            let control = CgroupFiles.keyed(memory + "/memory.oom_control")
            let killed = (control["oom_kill"] ?? 0) > 0 || (control["under_oom"] ?? 0) > 0
            guard killed, let limit = CgroupFiles.integer(memory + "/memory.limit_in_bytes") else { return nil }
            return ContainerLimitation(resource: "mem", limit: limit, reason: .containerLimitationMemory)
        case .v2:
            guard (CgroupFiles.keyed(memory + "/memory.events")["oom_kill"] ?? 0) > 0,
                let limit = CgroupFiles.integer(memory + "/memory.max")
            else { return nil }
            return ContainerLimitation(resource: "mem", limit: limit, reason: .containerLimitationMemory)
        }
    }

    /// Memory now and at peak, CPU user and system time, and the number of processes.
    public func usage(of container: ContainerID) -> ResourceUsage? {
        guard let memory = directory(of: "memory", container), access(memory, F_OK) == 0 else { return nil }
        switch hierarchy {
        case .v1:
            let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
            let cpu = directory(of: "cpuacct", container).map { CgroupFiles.keyed($0 + "/cpuacct.stat") } ?? [:]
            let processes = directory(of: "pids", container).flatMap { CgroupFiles.integer($0 + "/pids.current") }
            return ResourceUsage(
                memoryBytes: CgroupFiles.integer(memory + "/memory.usage_in_bytes") ?? 0,
                memoryPeakBytes: CgroupFiles.integer(memory + "/memory.max_usage_in_bytes") ?? 0,
                cpuUserSeconds: Double(cpu["user"] ?? 0) / ticks, cpuSystemSeconds: Double(cpu["system"] ?? 0) / ticks,
                processes: processes.map(Int.init) ?? CgroupFiles.processes(memory).count)
        case .v2:
            let cpu = CgroupFiles.keyed(memory + "/cpu.stat")
            let current = CgroupFiles.integer(memory + "/memory.current") ?? 0
            return ResourceUsage(
                memoryBytes: current, memoryPeakBytes: CgroupFiles.integer(memory + "/memory.peak") ?? current,
                cpuUserSeconds: Double(cpu["user_usec"] ?? 0) / 1e6, cpuSystemSeconds: Double(cpu["system_usec"] ?? 0) / 1e6,
                processes: Int(CgroupFiles.integer(memory + "/pids.current") ?? 0))
        }
    }

    /// Destroys every container under the agent's parent except `keeping`.
    public func removeStale(keeping: Set<ContainerID>) async {
        let found = Set(parents.flatMap { CgroupFiles.children($0) }).map(ContainerID.init).filter { !keeping.contains($0) }
        for container in found.sorted() { await destroy(container) }
    }

    /// The cgroup directories of this agent that exist now: its parents and any task's.
    /// Empty after ``close()``.
    public func leftovers() -> [String] {
        parents.flatMap { parent in [parent] + CgroupFiles.children(parent).map { parent + "/" + $0 } }
            .filter { access($0, F_OK) == 0 }
    }

    /// Whether cgroups can be used here: a usable hierarchy is mounted and this process may
    /// create cgroups in it (checked by making and removing one).
    public static func isAvailable() -> Bool {
        guard let isolator = try? CgroupsIsolator(configuration: .init(agentName: "probe-\(getpid())")) else { return false }
        for parent in isolator.parents {
            rmdir(parent)
            if let slash = parent.lastIndex(of: "/") { rmdir(String(parent[..<slash])) }
        }
        return true
    }

    /// Removes the agent's parent cgroups (and `roost/` when nothing else is in it).
    public func close() async {
        await removeStale(keeping: [])
        for parent in parents {
            rmdir(parent)
            if let slash = parent.lastIndex(of: "/") { rmdir(String(parent[..<slash])) }
        }
    }
}
