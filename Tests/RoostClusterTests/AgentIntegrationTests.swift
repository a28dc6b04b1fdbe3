import Foundation
import RoostAgent
import RoostAllocators
import RoostCluster
import RoostCoordination
import RoostCore
import RoostMaster
import Synchronization
import RoostTesting
import Testing

/// An in-process executor: runs each task until its labels say otherwise.
/// `outcome=finish` finishes at once, `outcome=fail` fails with exit code 3,
/// anything else runs until killed.
actor ScriptedExecutor: RoostCore.Executor {
    func launch(_ driver: any ExecutorDriver, task: TaskInfo) async throws {
        try await driver.sendStatusUpdate(TaskStatusReport(taskID: task.id, state: .starting))
        try await driver.sendStatusUpdate(TaskStatusReport(taskID: task.id, state: .running))
        switch task.labels["outcome"] {
        case "finish": try await driver.sendStatusUpdate(TaskStatusReport(taskID: task.id, state: .finished, exitCode: 0))
        case "fail": try await driver.sendStatusUpdate(TaskStatusReport(taskID: task.id, state: .failed, message: "exited with code 3", exitCode: 3))
        default: break
        }
    }

    func kill(_ driver: any ExecutorDriver, taskID: TaskID, gracePeriod: Duration) async {
        try? await driver.sendStatusUpdate(TaskStatusReport(taskID: taskID, state: .killing))
        try? await driver.sendStatusUpdate(TaskStatusReport(taskID: taskID, state: .killed))
    }

    func shutdown(_ driver: any ExecutorDriver, gracePeriod: Duration) async {}
}

/// A framework that launches the given tasks on the first offers that fit and records updates.
actor ListScheduler: Scheduler {
    private var pending: [TaskInfo]
    private(set) var updates: [TaskID: [TaskState]] = [:]
    private(set) var statuses: [TaskStatus] = []
    private(set) var frameworkID: FrameworkID?

    init(tasks: [TaskInfo]) { pending = tasks }

    func registered(_ driver: any SchedulerDriver, frameworkID: FrameworkID, master: MasterInfo) async throws {
        self.frameworkID = frameworkID
    }

    func resourceOffers(_ driver: any SchedulerDriver, offers: [Offer]) async throws {
        for offer in offers {
            var left = offer.resources
            var launch: [TaskInfo] = []
            while let next = pending.first, left.contains(next.resources) {
                left -= next.resources
                launch.append(pending.removeFirst())
            }
            try await driver.launch(launch, on: offer)
        }
    }

    func statusUpdate(_ driver: any SchedulerDriver, status: TaskStatus) async throws {
        updates[status.taskID, default: []].append(status.state)
        statuses.append(status)
    }

    func last(_ task: TaskID) -> TaskState? { updates[task]?.last }
}

func scripted(_ id: TaskID, outcome: String, resources: Resources = "cpus:1;mem:128") -> TaskInfo {
    TaskInfo(id: id, resources: resources, executor: ExecutorInfo(id: "scripted", name: "scripted"), labels: ["outcome": outcome])
}

@Suite(.timeLimit(.minutes(1)))
struct AgentIntegrationTests {
    static let info = MasterInfo(id: "m1", hostname: "localhost")

    func cluster(agents count: Int, retry: Duration = .milliseconds(50)) -> (Master, [Agent]) {
        let master = Master(info: Self.info, policy: { DRFAllocator() }, elector: StaticLeaderElector(configuration: .init(leader: Self.info)),
                            configuration: .init(state: .init(allocationInterval: .milliseconds(20))))
        let agents = (0..<count).map { index in
            Agent(configuration: .init(hostname: "node\(index)", resources: "cpus:2;mem:512", statusUpdateRetry: retry, reconnectDelay: .milliseconds(10)),
                  transport: InProcessAgentTransport(master: master),
                  commandExecutor: { _, _ in ScriptedExecutor() },
                  executors: ["scripted": { _, _ in ScriptedExecutor() }],
                  clock: ContinuousClock())
        }
        return (master, agents)
    }

    @Test func tasksRunThroughMasterAndAgents() async throws {
        let (master, agents) = cluster(agents: 2)
        let scheduler = ListScheduler(tasks: [scripted("a", outcome: "finish"), scripted("b", outcome: "fail"), scripted("c", outcome: "run")])
        let driver = InProcessSchedulerDriver(master: master, framework: FrameworkInfo(name: "list"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await master.run() }
            for agent in agents { group.addTask { await agent.run() } }
            group.addTask { try await driver.run(scheduler) }
            try await waitUntil("a finished, b failed, c running") {
                let (a, b, c) = (await scheduler.last("a"), await scheduler.last("b"), await scheduler.last("c"))
                return a == .finished && b == .failed && c == .running
            }
            // Delivery is at least once (an update resent before its acknowledgement arrived is
            // seen twice), in order per task.
            let seen = await scheduler.updates["a"] ?? []
            let distinct = seen.enumerated().filter { $0.offset == 0 || seen[$0.offset - 1] != $0.element }.map(\.element)
            #expect(distinct == [.starting, .running, .finished])
            try await driver.kill("c")
            try await waitUntil("c killed") { await scheduler.last("c") == .killed }
            try await waitUntil("every update acknowledged and every resource back") {
                var free = Resources()
                var pending = 0
                for agent in agents {
                    free += await agent.freeResources
                    pending += await agent.taskStates.count
                }
                return pending == 0 && free == "cpus:4;mem:1024"
            }
            await driver.stop(failover: false)
            group.cancelAll()
        }
    }
}
