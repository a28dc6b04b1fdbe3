#if canImport(Glibc)
import Glibc
#endif
public import RoostCore

/// What this machine has, for agents that are not told their resources.
public enum HostResources {
    /// Mesos' default port range for agents (`--resources` default `ports:[31000-32000]`).
    public static let defaultPorts: ClosedRange<UInt64> = 31000...32000

    /// The machine's CPUs, memory (minus 1 GiB or half, whichever is less, for the system,
    /// as Mesos' agent leaves) and the free disk under `directory`, split evenly between
    /// `agents` agents, each with its own slice of the default port range.
    public static func shares(agents: Int, directory: String) -> [Resources] {
        let count = max(1, agents)
        let cpus = Double(max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        let pages = Double(max(0, sysconf(Int32(_SC_PHYS_PAGES))))
        let pageSize = Double(max(0, sysconf(Int32(_SC_PAGESIZE))))
        let memoryMB = pages * pageSize / 1_048_576
        let usableMB = max(256, memoryMB - min(1024, memoryMB / 2))
        var stats = statvfs()
        let diskMB = statvfs(directory, &stats) == 0 ? Double(stats.f_bavail) * Double(stats.f_frsize) / 1_048_576 : 10_240
        let portCount = (defaultPorts.upperBound - defaultPorts.lowerBound + 1) / UInt64(count)
        return (0..<count).map { index in
            let low = defaultPorts.lowerBound + UInt64(index) * portCount
            let resources = [
                try? Resource(name: "cpus", value: .scalar(Scalar(cpus / Double(count)))),
                try? Resource(name: "mem", value: .scalar(Scalar((usableMB / Double(count)).rounded(.down)))),
                try? Resource(name: "disk", value: .scalar(Scalar((diskMB / Double(count)).rounded(.down)))),
                try? Resource(name: "ports", value: .ranges(ValueRanges([low...(low + portCount - 1)]))),
            ]
            return Resources(resources.compactMap { $0 })
        }
    }
}
