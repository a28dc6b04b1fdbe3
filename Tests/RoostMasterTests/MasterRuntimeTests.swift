import Foundation
import RoostAllocators
import RoostCoordination
import RoostCore
import RoostMaster
import Synchronization
import RoostTesting
import Testing

/// An agent played by the test: registers, runs every task to FINISHED (or FAILED for
/// commands containing "fail"), answers pings and records acknowledgements.
actor FakeAgent {
    let master: Master
    let resources: Resources
    /// Whether pings are answered; a silent agent is eventually marked unreachable.
    var answersPings = true
    /// Whether launched tasks stay running instead of finishing.
    var keepsTasksRunning = false
    private(set) var agentID: AgentID?
    private(set) var acknowledged: [TaskID] = []
    private(set) var epochs: [LeaderEpoch] = []
    private var link: UInt64 = 0

    init(master: Master, resources: Resources) {
        self.master = master
        self.resources = resources
    }

    func configure(answersPings: Bool, keepsTasksRunning: Bool) {
        self.answersPings = answersPings
        self.keepsTasksRunning = keepsTasksRunning
    }

    func run() async {
        let (link, events) = await master.connectAgent()
        self.link = link
        await master.agentCall(AgentCall(agentID: nil, .register(agent: AgentInfo(hostname: "fake", resources: resources))), from: link)
        for await event in events {
            epochs.append(event.epoch)
            await handle(event.kind)
        }
    }

    private func handle(_ kind: AgentEvent.Kind) async {
        switch kind {
        case .registered(let id, _, _):
            agentID = id
        case .runTask(let framework, let task):
            guard let frameworkID = framework.id, let agentID else { return }
            let fails = task.command?.description.contains("fail") ?? false
            let states: [TaskState] = keepsTasksRunning ? [.starting, .running] : [.starting, .running, fails ? .failed : .finished]
            for state in states {
                let status = TaskStatus(taskID: task.id, state: state, source: .executor, agentID: agentID, uuid: UUID(), timestamp: Timestamp(secondsSinceEpoch: Date().timeIntervalSince1970), exitCode: state == .failed ? 3 : nil)
                await master.agentCall(AgentCall(agentID: agentID, .update(frameworkID: frameworkID, status: status)), from: link)
            }
        case .acknowledge(_, let taskID, _):
            acknowledged.append(taskID)
        case .ping:
            if answersPings { await master.agentCall(AgentCall(agentID: agentID, .pong), from: link) }
        default:
            break
        }
    }
}

/// Launches `count` echo tasks, one per offer slot, and records every update it sees.
/// Set once something has ended.
actor Ended {
    private(set) var value = false
    func mark() { value = true }
}

actor EchoScheduler: Scheduler {
    private var pending: [TaskID]
    private let need: Resources = "cpus:0.5;mem:64"
    private(set) var states: [TaskID: TaskState] = [:]
    private(set) var registeredAs: FrameworkID?
    private(set) var reregistrations = 0
    private(set) var errors: [String] = []

    init(count: Int, command: String = "echo hi") {
        pending = (0..<count).map { TaskID("echo-\($0)") }
    }

    func registered(_ driver: any SchedulerDriver, frameworkID: FrameworkID, master: MasterInfo) async throws {
        registeredAs = frameworkID
    }

    func reregistered(_ driver: any SchedulerDriver, master: MasterInfo) async throws {
        reregistrations += 1
    }

    func resourceOffers(_ driver: any SchedulerDriver, offers: [Offer]) async throws {
        for offer in offers {
            var left = offer.resources
            var tasks: [TaskInfo] = []
            while let id = pending.first, left.contains(need) {
                tasks.append(TaskInfo(id: id, resources: need, command: .shell("echo hello from \(id)")))
                left -= need
                pending.removeFirst()
            }
            try await driver.launch(tasks, on: offer)
        }
        if pending.isEmpty { try await driver.suppress() }
    }

    func statusUpdate(_ driver: any SchedulerDriver, status: TaskStatus) async throws {
        states[status.taskID] = status.state
    }

    func error(_ driver: any SchedulerDriver, message: String) async {
        errors.append(message)
    }

    func finished() -> Int { states.values.filter { $0 == .finished }.count }
}

/// An elector the test controls.
final class ScriptedElector: LeaderElector {
    private let continuation = Mutex<AsyncStream<LeadershipEvent>.Continuation?>(nil)

    func campaign(as candidate: MasterInfo) async throws(ElectionError) -> AsyncStream<LeadershipEvent> {
        let (stream, continuation) = AsyncStream<LeadershipEvent>.makeStream()
        self.continuation.withLock { $0 = continuation }
        return stream
    }

    var isCampaigning: Bool { continuation.withLock { $0 != nil } }
    func send(_ event: LeadershipEvent) { _ = continuation.withLock { $0?.yield(event) } }
    func resign() async { continuation.withLock { $0?.finish() } }
    func currentLeader() async throws(ElectionError) -> MasterInfo? { nil }
}

@Suite(.timeLimit(.minutes(1)))
struct MasterRuntimeTests {
    static let info = MasterInfo(id: "m1", hostname: "localhost")

    func makeMaster(elector: any LeaderElector = StaticLeaderElector(configuration: .init(leader: info)), state: MasterState.Configuration = .init(allocationInterval: .milliseconds(20))) -> Master {
        Master(info: Self.info, policy: { DRFAllocator() }, elector: elector, configuration: .init(state: state))
    }

    @Test func aSilentAgentIsMarkedUnreachableAndItsTasksLost() async throws {
        let master = makeMaster(state: .init(allocationInterval: .milliseconds(20), agentPingTimeout: .milliseconds(40), maxAgentPingTimeouts: 3))
        let agent = FakeAgent(master: master, resources: "cpus:2;mem:256")
        await agent.configure(answersPings: false, keepsTasksRunning: true)
        let scheduler = EchoScheduler(count: 2)
        let driver = InProcessSchedulerDriver(master: master, framework: FrameworkInfo(name: "echo"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await master.run() }
            try await waitUntil("the master leads") { await master.isLeading }
            group.addTask { await agent.run() }
            group.addTask { try await driver.run(scheduler) }
            try await waitUntil("both tasks running") { await scheduler.states.values.filter { $0 == .running }.count == 2 }
            // Three unanswered pings, 40 ms apart: the agent is given up and its tasks are lost.
            try await waitUntil("both tasks lost") { await scheduler.states.values.filter { $0 == .lost }.count == 2 }
            let snapshot = try #require(await master.snapshot())
            #expect(snapshot.agents.map(\.reachable) == [false])
            await driver.stop(failover: false)
            group.cancelAll()
        }
    }

    /// Cancelling the task that runs a driver stops it with failover, as a scheduler process
    /// that exits: it returns (it used to subscribe again and again), and the framework's
    /// running task is kept for the failover timeout.
    @Test func cancellingTheDriversTaskStopsItWithFailover() async throws {
        let master = makeMaster()
        let agent = FakeAgent(master: master, resources: "cpus:2;mem:256")
        await agent.configure(answersPings: true, keepsTasksRunning: true)
        let scheduler = EchoScheduler(count: 1)
        let driver = InProcessSchedulerDriver(master: master, framework: FrameworkInfo(name: "echo", failoverTimeout: .seconds(600)))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await master.run() }
            try await waitUntil("the master leads") { await master.isLeading }
            group.addTask { await agent.run() }
            let ended = Ended()
            let running = Task {
                defer { Task { await ended.mark() } }
                try await driver.run(scheduler)
            }
            try await waitUntil("the task running") { await scheduler.states["echo-0"] == .running }
            running.cancel()
            try await waitUntil("the cancelled driver returned", timeout: .seconds(10)) { await ended.value }
            await #expect(throws: CancellationError.self) { try await running.value }
            let framework = try #require(await master.snapshot()?.frameworks.first)
            #expect(!framework.connected)
            #expect(framework.tasks.map(\.info.id) == ["echo-0"])
            group.cancelAll()
        }
    }

    @Test func anEchoFrameworkRunsToCompletion() async throws {
        let master = makeMaster()
        let agents = [FakeAgent(master: master, resources: "cpus:2;mem:256"), FakeAgent(master: master, resources: "cpus:2;mem:256")]
        let scheduler = EchoScheduler(count: 6)
        let driver = InProcessSchedulerDriver(master: master, framework: FrameworkInfo(name: "echo"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await master.run() }
            try await waitUntil("the master leads") { await master.isLeading }
            for agent in agents { group.addTask { await agent.run() } }
            group.addTask { try await driver.run(scheduler) }
            try await waitUntil("six tasks finished") { await scheduler.finished() == 6 }
            try await waitUntil("every update acknowledged to an agent") {
                var total = 0
                for agent in agents { total += await agent.acknowledged.count }
                return total == 18
            }
            #expect(await scheduler.registeredAs == "m1-0001")
            let snapshot = try #require(await master.snapshot())
            #expect(snapshot.frameworks.first?.completedTasks.count == 6)
            #expect(snapshot.agents.allSatisfy { $0.free == "cpus:2;mem:256" })
            await driver.stop(failover: false)
            group.cancelAll()
        }
    }

    @Test func aDeposedLeaderStopsAndTheDriverComesBack() async throws {
        let elector = ScriptedElector()
        let master = makeMaster(elector: elector)
        let scheduler = EchoScheduler(count: 0)
        let driver = InProcessSchedulerDriver(master: master, framework: FrameworkInfo(name: "svc", failoverTimeout: .seconds(60)))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await master.run() }
            group.addTask { try await driver.run(scheduler) }
            try await waitUntil("the master campaigns") { elector.isCampaigning }
            elector.send(.elected(epoch: LeaderEpoch(3)))
            try await waitUntil("registered") { await scheduler.registeredAs != nil }
            elector.send(.lost)
            try await waitUntil("stepped down") { await !master.isLeading }
            // Calls to a master that does not lead are refused.
            let (connection, _) = await master.connectScheduler()
            await #expect(throws: SchedulerDriverError.self) {
                try await master.schedulerCall(SchedulerCall(frameworkID: nil, .subscribe(framework: FrameworkInfo(name: "x"))), from: connection)
            }
            elector.send(.elected(epoch: LeaderEpoch(4)))
            try await waitUntil("re-registered with the new term") { await scheduler.reregistrations == 1 }
            #expect(await driver.frameworkID == "m1-0001")
            await driver.stop(failover: false)
            group.cancelAll()
        }
    }

    @Test func aSecondSchedulerFencesTheFirst() async throws {
        let master = makeMaster()
        let first = EchoScheduler(count: 0)
        let firstDriver = InProcessSchedulerDriver(master: master, framework: FrameworkInfo(name: "svc", failoverTimeout: .seconds(60)))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await master.run() }
            let firstRun = Task { try await firstDriver.run(first) }
            try await waitUntil("first registered") { await first.registeredAs != nil }
            let id = try #require(await first.registeredAs)
            let second = EchoScheduler(count: 0)
            let secondDriver = InProcessSchedulerDriver(master: master, framework: FrameworkInfo(id: id, name: "svc", failoverTimeout: .seconds(60)))
            group.addTask { try await secondDriver.run(second) }
            let outcome = await firstRun.result
            #expect(throws: SchedulerDriverError.self) { try outcome.get() }
            #expect(await first.errors == ["framework failed over: another scheduler subscribed as \(id)"])
            try await waitUntil("second subscribed") { await secondDriver.frameworkID == id }
            await secondDriver.stop(failover: false)
            group.cancelAll()
        }
    }
}
