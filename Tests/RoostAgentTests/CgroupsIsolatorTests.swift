import Foundation
import RoostAgent
import RoostCore
import RoostTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A cgroups isolator for one test, with a name no other test or agent uses; `nil` (and
/// the test is skipped, saying why) where cgroups are not mounted or not writable.
private func testIsolator(cfs: Bool = false) -> CgroupsIsolator? {
    try? CgroupsIsolator(configuration: .init(agentName: "test-\(UUID().uuidString.prefix(8).lowercased())", enableCFSQuota: cfs))
}

/// Tasks in cgroups: the memory limit kills, kills reach processes that left the group, CPU
/// follows `cpus`, usage is accounted, and nothing is left behind. These need root and a
/// writable cgroup hierarchy (this machine and CI have both: cgroup v1).
@Suite(.serialized, .enabled(if: CgroupsIsolator.isAvailable(), "cgroups are not mounted with memory and cpu controllers, or not writable (not root)"))
struct CgroupsIsolatorTests {
    @Test func aTaskPastItsMemoryLimitIsKilledAndReportedSo() async throws {
        let isolator = try #require(testIsolator())
        try await withExecutor(isolator: isolator) { executor, driver, _ in
            let hog = shellTask(
                "hog", #"python3 -c 'import time; a = bytearray(256 * 1024 * 1024); time.sleep(30)'"#,
                resources: "cpus:0.1;mem:64")
            try await executor.launch(driver, task: hog)
            let failed = try await driver.waitFor(state: .failed, task: "hog", timeout: .seconds(30))
            #expect(failed.reason == .containerLimitationMemory)
            #expect(failed.message?.contains("memory limit of 64 MB was exceeded") == true)
        }
        await isolator.close()
        #expect(isolator.leftovers().isEmpty)
    }

    @Test func aKillReachesAProcessThatLeftTheTasksGroupAndSession() async throws {
        let isolator = try #require(testIsolator())
        try await withExecutor(isolator: isolator) { executor, driver, directory in
            let sandbox = "\(directory)/work/frameworks/framework-1/executors/executor-1/runs/escaper"
            let task = shellTask("escaper", "setsid sleep 1000 & echo $! > escaped.pid; sleep 1000", killGracePeriod: .milliseconds(200))
            try await executor.launch(driver, task: task)
            _ = try await driver.waitFor(state: .running, task: "escaper")
            try await waitUntil("the escaped process wrote its PID") { Int32(contents(of: sandbox + "/escaped.pid").trimmingCharacters(in: .whitespacesAndNewlines)) != nil }
            let escaped = try #require(Int32(contents(of: sandbox + "/escaped.pid").trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(getpgid(escaped) != getpgid(0))
            await executor.kill(driver, taskID: "escaper", gracePeriod: .milliseconds(200))
            _ = try await driver.waitFor(state: .killed, task: "escaper")
            try await waitUntil("the setsid process is gone") { kill(escaped, 0) != 0 || isZombie(escaped) }
        }
        await isolator.close()
        #expect(isolator.leftovers().isEmpty)
    }

    @Test func cpuTimeFollowsCpusUnderContention() async throws {
        let isolator = try #require(testIsolator())
        try await withExecutor(isolator: isolator) { executor, driver, _ in
            // Four busy loops each, all pinned to CPU 0: the two tasks always contend on one run
            // queue, so their split follows cpu.shares even when other work loads the machine
            // (spread over two CPUs, the balancer's placement skewed it under load).
            let spin = "exec taskset -c 0 /bin/sh -c 'for i in 1 2 3 4; do (while :; do :; done) & done; wait'"
            try await executor.launch(driver, task: shellTask("big", spin, resources: "cpus:1.5;mem:64", killGracePeriod: .zero))
            try await executor.launch(driver, task: shellTask("small", spin, resources: "cpus:0.5;mem:64", killGracePeriod: .zero))
            let big = ContainerID(framework: "framework-1", task: "big")
            let small = ContainerID(framework: "framework-1", task: "small")
            func cpu(_ container: ContainerID) -> Double {
                isolator.usage(of: container).map { $0.cpuUserSeconds + $0.cpuSystemSeconds } ?? 0
            }
            try await waitUntil("both tasks used some CPU") { cpu(big) > 0.2 && cpu(small) > 0.05 }
            let (bigStart, smallStart) = (cpu(big), cpu(small))
            try await waitUntil("the big task used 3 s of CPU more", timeout: .seconds(60)) { cpu(big) - bigStart > 3 }
            let ratio = (cpu(big) - bigStart) / max(0.01, cpu(small) - smallStart)
            #expect(ratio > 2 && ratio < 4.5, "CPU time ratio big:small was \(ratio), expected about 3 (cpu.shares 1536:512)")
            let usage = try #require(isolator.usage(of: big))
            #expect(usage.processes >= 5)
            #expect(usage.memoryBytes > 0)
            await executor.kill(driver, taskID: "big", gracePeriod: .zero)
            await executor.kill(driver, taskID: "small", gracePeriod: .zero)
            _ = try await driver.waitFor(state: .killed, task: "big")
            _ = try await driver.waitFor(state: .killed, task: "small")
        }
        await isolator.close()
        #expect(isolator.leftovers().isEmpty)
    }

    @Test func aRestartedAgentRemovesStaleCgroupsAndKillsWhatRanInThem() async throws {
        let name = "test-\(UUID().uuidString.prefix(8).lowercased())"
        let before = try CgroupsIsolator(configuration: .init(agentName: name))
        let kept = ContainerID(framework: "f", task: "adopted")
        let stale = ContainerID(framework: "f", task: "orphan")
        _ = try before.prepare(TaskInfo(id: "adopted", resources: "cpus:0.1;mem:32", command: .shell("true")), container: kept)
        let placement = try before.prepare(TaskInfo(id: "orphan", resources: "cpus:0.1;mem:32", command: .shell("true")), container: stale)
        // A process left in the stale cgroup, as after an agent crash.
        let orphan = try await TaskProcess.launch(.init(command: .argv(["sleep", "1000"]), workingDirectory: "/", joinFiles: placement.procsFiles))
        defer { _ = orphan.pid }  // kept alive until here; its teardown (if the test fails) kills it
        try await waitUntil("the orphan joined its cgroup") { before.usage(of: stale)?.processes == 1 }

        let after = try CgroupsIsolator(configuration: .init(agentName: name))
        await after.removeStale(keeping: [kept])
        try await waitUntil("the orphan in the stale cgroup was killed") { orphan.termination != nil }
        #expect(orphan.termination == .signaled(SIGKILL))
        #expect(after.leftovers().contains { $0.hasSuffix("/f.adopted") })
        #expect(!after.leftovers().contains { $0.hasSuffix("/f.orphan") })
        await after.close()
        #expect(after.leftovers().isEmpty)
    }

    @Test func withCFSQuotaCpusIsAHardCap() async throws {
        let isolator = try #require(testIsolator(cfs: true))
        try await withExecutor(isolator: isolator) { executor, driver, _ in
            let spin = "for i in 1 2 3 4; do (while :; do :; done) & done; wait"
            try await executor.launch(driver, task: shellTask("capped", spin, resources: "cpus:0.5;mem:64", killGracePeriod: .zero))
            let capped = ContainerID(framework: "framework-1", task: "capped")
            func cpu() -> Double { isolator.usage(of: capped).map { $0.cpuUserSeconds + $0.cpuSystemSeconds } ?? 0 }
            try await waitUntil("the task used some CPU") { cpu() > 0.1 }
            let (start, startCPU) = (ContinuousClock.now, cpu())
            try await waitUntil("two seconds passed", timeout: .seconds(10)) { ContinuousClock.now - start > .seconds(2) }
            let cores = (cpu() - startCPU) / (ContinuousClock.now - start).seconds
            // Four busy loops could use both cores; the quota holds them to half a core (the
            // accounting is in 10 ms ticks, hence the margin).
            #expect(cores < 0.65, "the capped task used \(cores) cores, more than its cpus:0.5 allow")
            await executor.kill(driver, taskID: "capped", gracePeriod: .zero)
            _ = try await driver.waitFor(state: .killed, task: "capped")
        }
        await isolator.close()
        #expect(isolator.leftovers().isEmpty)
    }

    @Test func finishedTasksLeaveNoCgroupBehind() async throws {
        let isolator = try #require(testIsolator())
        try await withExecutor(isolator: isolator) { executor, driver, _ in
            try await executor.launch(driver, task: shellTask("quick", "echo done"))
            _ = try await driver.waitFor(state: .finished, task: "quick")
            // Only the agent's parent cgroups remain, one per hierarchy, until it closes.
            #expect(!isolator.leftovers().isEmpty)
            #expect(!isolator.leftovers().contains { $0.hasSuffix("/framework-1.quick") })
        }
        await isolator.close()
        #expect(isolator.leftovers().isEmpty)
    }
}

/// Whether a process is a zombie (dead, waiting to be reaped by init).
private func isZombie(_ pid: Int32) -> Bool {
    let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    return stat.split(separator: ")").last?.trimmingCharacters(in: .whitespaces).hasPrefix("Z") ?? true
}
