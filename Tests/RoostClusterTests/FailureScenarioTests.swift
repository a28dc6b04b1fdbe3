import Foundation
@testable import RoostAgent
import RoostAllocators
import RoostCluster
import RoostCoordination
import RoostCore
import RoostMaster
import RoostTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Failures through the whole stack: master, real agents, real processes.
@Suite(.timeLimit(.minutes(1)))
struct FailureScenarioTests {
    static let info = MasterInfo(id: "m1", hostname: "localhost")

    func master() -> Master {
        Master(info: Self.info, policy: { DRFAllocator() }, elector: StaticLeaderElector(configuration: .init(leader: Self.info)),
               configuration: .init(state: .init(allocationInterval: .milliseconds(20))))
    }

    func agent(_ master: Master, root: String) -> Agent {
        Agent(configuration: .init(hostname: "node", resources: "cpus:2;mem:256", statusUpdateRetry: .milliseconds(200),
                                   reconnectDelay: .milliseconds(10), shutdownGracePeriod: .seconds(1), checkpointDirectory: "\(root)/meta"),
              transport: InProcessAgentTransport(master: master),
              commandExecutor: { _, _ in CommandExecutor(configuration: .init(workDirectory: "\(root)/work")) },
              clock: ContinuousClock())
    }

    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.path + "/roost-failure-\(UUID().uuidString.prefix(8).lowercased())"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The PID a task wrote into its sandbox.
    func pid(of task: TaskID, root: String) async throws -> Int32 {
        let file = Sandbox(workDirectory: "\(root)/work", frameworkID: "m1-0001", executorID: Agent.commandExecutorID, taskID: task).path + "/pid"
        try await waitUntil("\(task) wrote its PID") { (try? String(contentsOfFile: file, encoding: .utf8))?.hasSuffix("\n") ?? false }
        return try #require(Int32(String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    @Test func aSchedulerGoneLongerThanItsFailoverTimeoutLosesItsTasks() async throws {
        let root = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let master = master()
        let node = agent(master, root: root)
        let scheduler = ListScheduler(tasks: [TaskInfo(id: "long", resources: "cpus:1;mem:64", command: .shell("echo $$ > pid; exec sleep 1000"))])
        let driver = InProcessSchedulerDriver(master: master, framework: FrameworkInfo(name: "svc", failoverTimeout: .milliseconds(300)))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await master.run() }
            group.addTask { await node.run() }
            group.addTask { try await driver.run(scheduler) }
            try await waitUntil("running") { await scheduler.last("long") == .running }
            let process = try await pid(of: "long", root: root)
            defer { kill(process, SIGKILL) }
            // The scheduler goes away intending to come back, but does not within 300 ms.
            await driver.stop(failover: true)
            #expect(isAlive(process), "within the failover timeout the task keeps running")
            try await waitUntil("the framework is removed and its task killed") { !isAlive(process) }
            try await waitUntil("the master forgot the framework") { await master.snapshot()?.frameworks.isEmpty == true }
            group.cancelAll()
        }
    }

    @Test func anAgentRestartKeepsItsTasksRunning() async throws {
        let root = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let master = master()
        let first = agent(master, root: root)
        let scheduler = ListScheduler(tasks: [TaskInfo(id: "long", resources: "cpus:1;mem:64", command: .shell("echo $$ > pid; exec sleep 1000"))])
        let driver = InProcessSchedulerDriver(master: master, framework: FrameworkInfo(name: "svc", failoverTimeout: .seconds(60), checkpoint: true))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await master.run() }
            let firstRun = Task { await first.run() }
            group.addTask { try await driver.run(scheduler) }
            try await waitUntil("running") { await scheduler.last("long") == .running }
            let process = try await pid(of: "long", root: root)
            defer { kill(process, SIGKILL) }
            let agentID = try #require(await first.agentID)

            // The agent process "dies" (nothing is killed); a new one starts on the same work dir.
            await first.crashOnCancel()
            firstRun.cancel()
            await firstRun.value
            #expect(isAlive(process))
            let second = agent(master, root: root)
            group.addTask { await second.run() }
            // The ID comes back from the checkpoint at once; registration takes a round trip, and
            // until it completes the master still sends to the dead agent's link.
            try await waitUntil("the new agent re-registered under the old ID") {
                let (id, registered) = (await second.agentID, await second.isRegistered)
                return id == agentID && registered
            }
            // The master still sees the task running on that agent, and it can be killed.
            try await driver.reconcile()
            try await waitUntil("reconciled as running") { await scheduler.updates["long"]?.last == .running }
            #expect(isAlive(process))
            try await driver.kill("long")
            try await waitUntil("killed through the restarted agent") { await scheduler.last("long") == .killed }
            try await waitUntil("the process is gone") { !isAlive(process) }
            await driver.stop(failover: false)
            group.cancelAll()
        }
    }
}
