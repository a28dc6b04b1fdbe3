import Foundation
import RoostAgent
import RoostCluster
import RoostCore
import RoostMaster
import RoostTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Whether a process with this PID exists (and is not a zombie we could still reap).
func isAlive(_ pid: Int32) -> Bool {
    guard kill(pid, 0) == 0 else { return false }
    let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    return !(stat.split(separator: ")").last?.trimmingCharacters(in: .whitespaces).hasPrefix("Z") ?? false)
}

@Suite(.timeLimit(.minutes(2)), .serialized)
struct LocalClusterTests {
    func cluster() -> LocalCluster {
        LocalCluster(configuration: .init(
            agents: 2, agentResources: "cpus:2;mem:512;disk:1024;ports:[31000-31010]",
            workDirectory: FileManager.default.temporaryDirectory.appendingPathComponent("roost-test-\(UUID().uuidString)").path,
            master: .init(state: .init(allocationInterval: .milliseconds(20)))))
    }

    @Test func realProcessesRunFailAndAreKilledWithTheirChildren() async throws {
        let work = cluster()
        defer { try? FileManager.default.removeItem(atPath: work.configuration.workDirectory!) }
        let tasks = [
            TaskInfo(id: "hello", resources: "cpus:0.5;mem:64", command: .shell("echo hello from $ROOST_TASK_ID")),
            TaskInfo(id: "broken", resources: "cpus:0.5;mem:64", command: .shell("exit 3")),
            TaskInfo(id: "tree", resources: "cpus:0.5;mem:64", command: .shell("echo $$ > parent.pid; sleep 1000 & echo $! > child.pid; wait"), killGracePeriod: .milliseconds(500)),
        ]
        let scheduler = ListScheduler(tasks: tasks)
        try await work.run { running in
            let driver = running.driver(for: FrameworkInfo(name: "real"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await driver.run(scheduler) }
                try await waitUntil("hello finished, broken failed, tree running") {
                    let (hello, broken, tree) = (await scheduler.last("hello"), await scheduler.last("broken"), await scheduler.last("tree"))
                    return hello == .finished && broken == .failed && tree == .running
                }
                let snapshot = try #require(await running.master.snapshot())
                let failed = snapshot.frameworks.flatMap { $0.tasks + $0.completedTasks }.first { $0.info.id == "broken" }
                #expect(failed?.latestStatus?.exitCode == 3)
                #expect(failed?.latestStatus?.message?.contains("exited with code 3") == true)

                // The sandbox holds the captured output.
                let outputs = try FileManager.default.subpathsOfDirectory(atPath: running.workDirectory).filter { $0.hasSuffix("/stdout") }
                let hello = try outputs.map { try String(contentsOfFile: "\(running.workDirectory)/\($0)", encoding: .utf8) }.joined()
                #expect(hello.contains("hello from hello"))

                // Kill the tree: the shell and its background sleep both die.
                // TASK_RUNNING can come before the shell has written its pid files.
                var sandbox = ""
                try await waitUntil("tree's child.pid in its sandbox") {
                    sandbox = try FileManager.default.subpathsOfDirectory(atPath: running.workDirectory).first { $0.hasSuffix("tree/child.pid") } ?? ""
                    return !sandbox.isEmpty
                }
                let directory = "\(running.workDirectory)/\(sandbox.dropLast("child.pid".count))"
                try await waitUntil("both pid files written") {
                    let parent = (try? String(contentsOfFile: "\(directory)parent.pid", encoding: .utf8)) ?? ""
                    let child = (try? String(contentsOfFile: "\(directory)child.pid", encoding: .utf8)) ?? ""
                    return !parent.isEmpty && !child.isEmpty
                }
                let pids = try ["parent.pid", "child.pid"].map { try Int32(String(contentsOfFile: "\(directory)\($0)", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))! }
                try await driver.kill("tree")
                try await waitUntil("tree killed") { await scheduler.last("tree") == .killed }
                try await waitUntil("no process of the tree survives") { pids.allSatisfy { !isAlive($0) } }
                await driver.stop(failover: false)
                group.cancelAll()
            }
        }
    }

    /// Mesos' allocator makes offers when a framework is added: a framework that subscribes
    /// after the agents registered is offered at once, not at the next periodic cycle (here an
    /// hour away).
    @Test func aFrameworkIsOfferedAsSoonAsItSubscribes() async throws {
        let work = LocalCluster(configuration: .init(
            agents: 1, agentResources: "cpus:1;mem:128",
            workDirectory: FileManager.default.temporaryDirectory.appendingPathComponent("roost-test-\(UUID().uuidString)").path,
            master: .init(state: .init(allocationInterval: .seconds(3600)))))
        defer { try? FileManager.default.removeItem(atPath: work.configuration.workDirectory!) }
        let scheduler = ListScheduler(tasks: [TaskInfo(id: "first", resources: "cpus:0.1;mem:16", command: .shell("true"))])
        try await work.run { running in
            try await waitUntil("the agent registered") { (await running.master.snapshot())?.agents.count == 1 }
            let driver = running.driver(for: FrameworkInfo(name: "prompt"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await driver.run(scheduler) }
                // Stop the driver either way, so a failed wait fails the test at once.
                var failure: (any Error)?
                do {
                    try await waitUntil("the task launched from the first offer finished", timeout: .seconds(10)) { await scheduler.last("first") == .finished }
                } catch {
                    failure = error
                }
                await driver.stop(failover: false)
                group.cancelAll()
                if let failure { throw failure }
            }
        }
    }

    /// A readiness verdict travels from the agent's command executor through the master to the
    /// framework, and the master's task record keeps it.
    @Test func readinessReachesTheFrameworkAndTheMastersState() async throws {
        let work = cluster()
        defer { try? FileManager.default.removeItem(atPath: work.configuration.workDirectory!) }
        let task = TaskInfo(
            id: "web", resources: "cpus:0.5;mem:64", command: .shell("touch ready; exec sleep 1000"),
            readinessCheck: ReadinessCheck(.command(.shell("test -f ready")), interval: .milliseconds(50), timeout: .seconds(5)),
            killGracePeriod: .milliseconds(500))
        let scheduler = ListScheduler(tasks: [task])
        try await work.run { running in
            let driver = running.driver(for: FrameworkInfo(name: "service"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await driver.run(scheduler) }
                try await waitUntil("the framework hearing that web is ready") {
                    await scheduler.statuses.contains { $0.taskID == "web" && $0.state == .running && $0.ready == true }
                }
                let update = try #require(await scheduler.statuses.last { $0.ready == true })
                #expect(update.reason == .taskCheckStatusUpdated)
                #expect(update.source == .executor)
                try await waitUntil("the master's record of web being ready") {
                    let snapshot = await running.master.snapshot()
                    return snapshot?.frameworks.flatMap(\.tasks).first { $0.info.id == "web" }?.latestStatus?.ready == true
                }
                try await driver.kill("web")
                try await waitUntil("web killed") { await scheduler.last("web") == .killed }
                await driver.stop(failover: false)
                group.cancelAll()
            }
        }
    }

    /// `stop(failover: false)` tears the framework down, which closes its connection; `run`
    /// must return quietly then, not take the closed connection for a master failover,
    /// subscribe again and be refused. Repeated, since it depends on which task runs first.
    @Test func stoppingTheDriverEndsRunWithoutAnError() async throws {
        let work = cluster()
        defer { try? FileManager.default.removeItem(atPath: work.configuration.workDirectory!) }
        try await work.run { running in
            for round in 0..<20 {
                let driver = running.driver(for: FrameworkInfo(name: "stopping-\(round)"))
                let scheduler = ListScheduler(tasks: [])
                let runner = Task { try await driver.run(scheduler) }
                try await waitUntil("round \(round) subscribed") { await driver.frameworkID != nil }
                await driver.stop(failover: false)
                try await runner.value
            }
        }
    }
}
