import Foundation
@testable import RoostAgent
import RoostCore
import Testing

/// Which cgroup hierarchy the agent picks, from the mount table and its own cgroups.
struct CgroupHierarchyTests {
    private let v1Mounts = """
        tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0
        cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,relatime,cpu,cpuacct 0 0
        cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0
        cgroup /sys/fs/cgroup/pids cgroup rw,relatime,pids 0 0
        cgroup /sys/fs/cgroup/freezer cgroup rw,relatime,freezer 0 0
        """
    private let ownCgroups = """
        9:freezer:/
        8:pids:/
        4:memory:/process_api/abc
        2:cpu,cpuacct:/
        0::/
        """

    @Test func v1ControllersAreFoundByTheirMountOptionsAndNestedInTheAgentsOwnCgroup() throws {
        let hierarchy = try #require(CgroupHierarchy.detect(mounts: v1Mounts, ownCgroups: ownCgroups))
        guard case .v1(let v1) = hierarchy else {
            Issue.record("expected cgroup v1, got \(hierarchy)")
            return
        }
        #expect(v1.memory == "/sys/fs/cgroup/memory")
        #expect(v1.cpu == "/sys/fs/cgroup/cpu,cpuacct")
        #expect(v1.cpuacct == "/sys/fs/cgroup/cpu,cpuacct")
        #expect(v1.mounts == ["/sys/fs/cgroup/memory", "/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/pids", "/sys/fs/cgroup/freezer"])
        #expect(v1.own("/sys/fs/cgroup/memory") == "/sys/fs/cgroup/memory/process_api/abc")
        #expect(v1.own("/sys/fs/cgroup/pids") == "/sys/fs/cgroup/pids")
    }

    @Test func v2IsPreferredWhenItOffersMemoryCpuAndPids() throws {
        let mount = FileManager.default.temporaryDirectory.appendingPathComponent("roost-cgroup2-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: mount) }
        try "cpuset cpu io memory hugetlb pids rdma\n".write(toFile: mount + "/cgroup.controllers", atomically: true, encoding: .utf8)
        let mounts = v1Mounts + "\ncgroup2 \(mount) cgroup2 rw,nosuid,nodev,noexec,relatime 0 0"
        #expect(CgroupHierarchy.detect(mounts: mounts, ownCgroups: ownCgroups) == .v2(mount))

        // A unified hierarchy without the memory controller (this machine's) is passed over.
        try "hugetlb\n".write(toFile: mount + "/cgroup.controllers", atomically: true, encoding: .utf8)
        guard case .v1 = CgroupHierarchy.detect(mounts: mounts, ownCgroups: ownCgroups) else {
            Issue.record("expected cgroup v1 when cgroup v2 lacks the memory controller")
            return
        }
    }

    @Test func noUsableHierarchyIsNil() {
        #expect(CgroupHierarchy.detect(mounts: "proc /proc proc rw 0 0\ncgroup /sys/fs/cgroup/pids cgroup rw,pids 0 0", ownCgroups: "") == nil)
    }

    @Test func isolationModesParseByName() throws {
        #expect(try IsolationMode(parsing: "cgroups") == .cgroups)
        #expect(throws: InputError.self) { try IsolationMode(parsing: "cgroup") }
        do {
            _ = try IsolationMode(parsing: "cgroup")
        } catch {
            #expect(error.description.contains("must be one of auto, cgroups, none, not 'cgroup'"))
        }
    }

    @Test func agentNamesAreStablePerWorkDirectory() {
        let name = IsolationMode.isolatorName(forWorkDirectory: "/var/lib/roost/agent-0")
        #expect(name == IsolationMode.isolatorName(forWorkDirectory: "/var/lib/roost/agent-0"))
        #expect(name != IsolationMode.isolatorName(forWorkDirectory: "/var/lib/roost/agent-1"))
        #expect(name.hasPrefix("agent-") && name.count == 22)
    }
}
