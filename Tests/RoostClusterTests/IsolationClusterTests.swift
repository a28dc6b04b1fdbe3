import Foundation
import RoostAgent
import RoostCluster
import RoostCore
import RoostMaster
import RoostTesting
import Testing

/// The embedded cluster with cgroup isolation: agents say how they isolate, the master's
/// `state` carries each running task's usage, and nothing of the agents' cgroups remains.
@Suite(.timeLimit(.minutes(2)), .enabled(if: CgroupsIsolator.isAvailable(), "cgroups are not mounted with memory and cpu controllers, or not writable (not root)"))
struct IsolationClusterTests {
    @Test func runningTasksUsageReachesTheMastersState() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("roost-isolation-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        let cluster = LocalCluster(configuration: .init(
            agents: 1, agentResources: "cpus:2;mem:512", workDirectory: work,
            master: .init(state: .init(allocationInterval: .milliseconds(20))),
            isolation: .cgroups, usageInterval: .milliseconds(100)))
        let scheduler = ListScheduler(tasks: [TaskInfo(id: "busy", resources: "cpus:0.5;mem:64", command: .shell("while :; do :; done"), killGracePeriod: .zero)])
        try await cluster.run { running in
            let driver = running.driver(for: FrameworkInfo(name: "measured"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await driver.run(scheduler) }
                try await waitUntil("the busy task's CPU time in the master's state", timeout: .seconds(60)) {
                    let task = await running.master.snapshot()?.frameworks.flatMap(\.tasks).first { $0.info.id == "busy" }
                    return (task?.usage?.cpuUserSeconds ?? 0) > 0.1
                }
                let snapshot = try #require(await running.master.snapshot())
                let usage = try #require(snapshot.frameworks.flatMap(\.tasks).first { $0.info.id == "busy" }?.usage)
                #expect(usage.memoryBytes > 0)
                #expect(usage.processes >= 1)
                #expect(snapshot.agents.first?.info.isolation?.hasPrefix("cgroups-v") == true)
                await driver.stop(failover: false)
                group.cancelAll()
            }
        }
        // Every task and the agent's own parent cgroups are gone.
        let name = IsolationMode.isolatorName(forWorkDirectory: "\(work)/agent-0")
        #expect(cgroupDirectories(named: name).isEmpty)
    }
}

/// Directories under /sys/fs/cgroup with this name (not descending into matches).
private func cgroupDirectories(named name: String) -> [String] {
    var found: [String] = []
    var pending = ["/sys/fs/cgroup"]
    while let directory = pending.popLast() {
        guard let children = try? FileManager.default.contentsOfDirectory(atPath: directory) else { continue }
        for child in children {
            let path = directory + "/" + child
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
            if child == name { found.append(path) } else { pending.append(path) }
        }
    }
    return found
}
