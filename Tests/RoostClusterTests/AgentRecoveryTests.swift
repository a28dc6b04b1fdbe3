import Foundation
@testable import RoostAgent
import RoostCore
import RoostTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Agent recovery from its checkpoint directory, with real processes: an agent "crashes"
/// (its `run()` ends without killing anything), a new agent starts on the same checkpoint.
@Suite(.timeLimit(.minutes(1)))
struct AgentRecoveryTests {
    /// A framework that asks for checkpointing, as Mesos requires for tasks to survive an agent restart.
    let framework = FrameworkInfo(id: "f1", name: "f", checkpoint: true)

    /// A fresh folder holding `work` (sandboxes) and `meta` (the checkpoint).
    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.path + "/roost-recovery-\(UUID().uuidString.prefix(8).lowercased())"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func agent(_ transport: ScriptedTransport, root: String, checkpoint: Bool = true) -> Agent {
        Agent(
            configuration: .init(
                hostname: "node", resources: "cpus:4;mem:1024", statusUpdateRetry: .seconds(60), reconnectDelay: .milliseconds(5),
                shutdownGracePeriod: .seconds(2), checkpointDirectory: checkpoint ? "\(root)/meta" : nil),
            transport: transport,
            commandExecutor: { _, _ in CommandExecutor(configuration: .init(workDirectory: "\(root)/work")) },
            executors: ["scripted": { _, _ in ScriptedExecutor() }],
            clock: ContinuousClock())
    }

    func sandbox(_ root: String, _ task: TaskID) -> String {
        Sandbox(workDirectory: "\(root)/work", frameworkID: "f1", executorID: Agent.commandExecutorID, taskID: task).path
    }

    /// The process group a task wrote into its sandbox (`echo $$ > leader`).
    func group(of task: TaskID, root: String) async throws -> ProcessRecord {
        let file = sandbox(root, task) + "/leader"
        try await waitUntil("task \(task) wrote its PID") {
            (try? String(contentsOfFile: file, encoding: .utf8))?.hasSuffix("\n") ?? false
        }
        let text = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return try ProcessRecord.capture(pid: try #require(Int32(text)))
    }

    func acknowledge(_ transport: ScriptedTransport, _ task: TaskID, _ state: TaskState) async throws {
        try await waitUntil("\(task) reported \(state)") { transport.updates.contains { $0.taskID == task && $0.state == state } }
        let uuid = try #require(transport.updates.last { $0.taskID == task && $0.state == state }?.uuid)
        transport.send(AgentEvent(epoch: LeaderEpoch(1), .acknowledge(frameworkID: "f1", taskID: task, uuid: uuid)))
    }

    /// Starts an agent on `root` and registers it as `a1` through a scripted master.
    func startRegistered(root: String, checkpoint: Bool = true) async throws -> (ScriptedTransport, Agent, Task<Void, Never>) {
        let transport = ScriptedTransport()
        let started = agent(transport, root: root, checkpoint: checkpoint)
        let run = Task { await started.run() }
        try await waitUntil("the agent registers") { transport.calls.contains { if case .register = $0.kind { return true } else { return false } } }
        transport.send(AgentEvent(epoch: LeaderEpoch(1), .registered(agentID: "a1", master: MasterInfo(id: "m", hostname: "h"), pingIntervalSeconds: 15)))
        try await waitUntil("the agent knows its ID") { await started.agentID == "a1" }
        return (transport, started, run)
    }

    /// Starts a new agent on `root`'s checkpoint and waits for its REREGISTER.
    func restartAndAwaitReregistration(root: String) async throws -> (ScriptedTransport, Agent, Task<Void, Never>) {
        let transport = ScriptedTransport()
        let restarted = agent(transport, root: root)
        let run = Task { await restarted.run() }
        try await waitUntil("the restarted agent re-registers") {
            transport.calls.contains { if case .reregister = $0.kind { return true } else { return false } }
        }
        return (transport, restarted, run)
    }

    func run(_ task: TaskInfo, on transport: ScriptedTransport, framework: FrameworkInfo? = nil) {
        transport.send(AgentEvent(epoch: LeaderEpoch(1), .runTask(framework: framework ?? self.framework, task: task)))
    }

    @Test func tasksOfAFrameworkThatDoesNotCheckpointAreStoppedOnRestart() async throws {
        let root = try Self.temporaryDirectory()
        var groups: [ProcessRecord] = []
        defer {
            for group in groups { group.signalGroup(SIGKILL) }
            try? FileManager.default.removeItem(atPath: root)
        }
        let (first, crashed, run1) = try await startRegistered(root: root)
        run(TaskInfo(id: "sleeper", resources: "cpus:1;mem:64", command: .shell("echo $$ > leader; sleep 1000 & wait")), on: first,
            framework: FrameworkInfo(id: "f1", name: "f", checkpoint: false))
        let sleeper = try await group(of: "sleeper", root: root)
        groups = [sleeper]
        try await waitUntil("running") { await crashed.taskStates["sleeper"] == .running }
        await crashed.crashOnCancel()
        run1.cancel()
        await run1.value
        #expect(sleeper.isGroupAlive())

        // The restarted agent finds the process it recorded at launch and stops it, as Mesos
        // does for frameworks without checkpointing, instead of leaving it unmanaged.
        let (second, _, run2) = try await restartAndAwaitReregistration(root: root)
        defer { run2.cancel() }
        #expect(!sleeper.isGroupAlive(), "no process of the task's group may survive")
        second.send(AgentEvent(epoch: LeaderEpoch(1), .reregistered(agentID: "a1", master: MasterInfo(id: "m", hostname: "h"), pingIntervalSeconds: 15)))
        // What was recorded at launch is resent first (STARTING, never acknowledged), then LOST.
        try await acknowledge(second, "sleeper", .starting)
        try await waitUntil("reported lost") { second.updates.contains { $0.taskID == "sleeper" && $0.state == .lost } }
        let lost = try #require(second.updates.first { $0.taskID == "sleeper" && $0.state == .lost })
        #expect(lost.message?.contains("does not checkpoint") == true)
    }

    @Test func aRestartedAgentReattachesToItsTasksAndReportsTheRest() async throws {
        let root = try Self.temporaryDirectory()
        var groups: [ProcessRecord] = []
        defer {
            for group in groups { group.signalGroup(SIGKILL) }
            try? FileManager.default.removeItem(atPath: root)
        }
        // The first agent runs: a long task, one that exits when told, one that finishes at once
        // (its FINISHED never acknowledged) and one in an in-process executor.
        let (first, crashed, run1) = try await startRegistered(root: root)
        run(TaskInfo(id: "sleeper", resources: "cpus:1;mem:64", command: .shell("echo $$ > leader; sleep 1000 & wait")), on: first)
        run(TaskInfo(id: "exiter", resources: "cpus:1;mem:64", command: .shell("echo $$ > leader; while [ ! -e stop ]; do sleep 0.02; done; exit 3")), on: first)
        run(TaskInfo(id: "done", resources: "cpus:0.5;mem:64", command: .shell("exit 0")), on: first)
        run(scripted("inproc", outcome: "run"), on: first)
        let sleeper = try await group(of: "sleeper", root: root)
        let exiter = try await group(of: "exiter", root: root)
        groups = [sleeper, exiter]
        for task: TaskID in ["sleeper", "exiter", "done", "inproc"] {
            try await acknowledge(first, task, .starting)
            try await acknowledge(first, task, .running)
        }
        try await waitUntil("done reported FINISHED") { first.updates.contains { $0.taskID == "done" && $0.state == .finished } }
        let finished = try #require(first.updates.first { $0.taskID == "done" && $0.state == .finished })
        try await waitUntil("the exiter's RUNNING is acknowledged") { await crashed.taskStates["exiter"] == .running }

        // The agent dies; its tasks keep running. The exiter ends while no agent watches it.
        await crashed.crashOnCancel()
        run1.cancel()
        await run1.value
        #expect(sleeper.isGroupAlive(), "a crashed agent's task must keep running")
        _ = FileManager.default.createFile(atPath: sandbox(root, "exiter") + "/stop", contents: nil)
        try await exiter.waitForGroupExit(timeout: .seconds(10))

        // A new agent on the same checkpoint re-registers as a1 with what it runs.
        let (second, restarted, run2) = try await restartAndAwaitReregistration(root: root)
        defer { run2.cancel() }
        let call = try #require(second.calls.first { if case .reregister = $0.kind { return true } else { return false } })
        guard case .reregister(let info, let reports, let frameworks) = call.kind else { return }
        #expect(call.agentID == "a1")
        #expect(info.id == "a1")
        #expect(frameworks.map(\.id) == ["f1"])
        let states = Dictionary(uniqueKeysWithValues: reports.map { ($0.task.id, $0.state) })
        #expect(states == ["sleeper": .running, "exiter": .lost, "done": .finished, "inproc": .lost])
        #expect(!second.calls.contains { if case .register = $0.kind { return true } else { return false } })
        #expect(await restarted.freeResources == "cpus:3;mem:960", "only the adopted sleeper holds resources")

        // Unacknowledged updates go out once the master answers: the same FINISHED, and LOST for
        // the tasks whose outcome the agent cannot know.
        second.send(AgentEvent(epoch: LeaderEpoch(1), .reregistered(agentID: "a1", master: MasterInfo(id: "m", hostname: "h"), pingIntervalSeconds: 15)))
        try await waitUntil("pending updates resent") { Set(second.updates.map(\.taskID)) == ["exiter", "done", "inproc"] }
        #expect(second.updates.first { $0.taskID == "done" } == finished)
        let lostExiter = try #require(second.updates.first { $0.taskID == "exiter" })
        #expect(lostExiter.state == .lost)
        #expect(lostExiter.reason == .agentRestarted)
        #expect(lostExiter.message?.contains("ended while the agent was down; its outcome is unknown") == true)
        let lostInProcess = try #require(second.updates.first { $0.taskID == "inproc" })
        #expect(lostInProcess.state == .lost)
        #expect(lostInProcess.message?.contains("in-process executor 'scripted' ended with it") == true)

        // Killing the adopted task through the new agent kills its whole group.
        second.send(AgentEvent(epoch: LeaderEpoch(1), .killTask(frameworkID: "f1", taskID: "sleeper", gracePeriodSeconds: 2)))
        try await acknowledge(second, "sleeper", .killing)
        try await waitUntil("the sleeper is KILLED") { second.updates.contains { $0.taskID == "sleeper" && $0.state == .killed } }
        #expect(!sleeper.isGroupAlive(), "no process of the killed task's group may survive")
        for (task, state): (TaskID, TaskState) in [("sleeper", .killed), ("exiter", .lost), ("done", .finished), ("inproc", .lost)] {
            try await acknowledge(second, task, state)
        }
        try await waitUntil("every task forgotten once acknowledged") { await restarted.taskStates.isEmpty }
        #expect(await restarted.freeResources == "cpus:4;mem:1024")
    }

    @Test func aTaskAdoptedAfterARestartThatExitsOnItsOwnIsReportedLost() async throws {
        let root = try Self.temporaryDirectory()
        var groups: [ProcessRecord] = []
        defer {
            for group in groups { group.signalGroup(SIGKILL) }
            try? FileManager.default.removeItem(atPath: root)
        }
        let (first, crashed, run1) = try await startRegistered(root: root)
        run(TaskInfo(id: "exiter", resources: "cpus:1;mem:64", command: .shell("echo $$ > leader; while [ ! -e stop ]; do sleep 0.02; done; exit 0")), on: first)
        let exiter = try await group(of: "exiter", root: root)
        groups = [exiter]
        try await waitUntil("the task runs (STARTING is in flight, RUNNING queued behind it)") { await crashed.taskStates["exiter"] == .running }
        await crashed.crashOnCancel()
        run1.cancel()
        await run1.value

        let (second, _, run2) = try await restartAndAwaitReregistration(root: root)
        defer { run2.cancel() }
        second.send(AgentEvent(epoch: LeaderEpoch(1), .reregistered(agentID: "a1", master: MasterInfo(id: "m", hostname: "h"), pingIntervalSeconds: 15)))
        // STARTING was never acknowledged: it goes out again first.
        try await acknowledge(second, "exiter", .starting)
        try await acknowledge(second, "exiter", .running)
        _ = FileManager.default.createFile(atPath: sandbox(root, "exiter") + "/stop", contents: nil)
        try await waitUntil("the adopted task's end is reported") { second.updates.contains { $0.taskID == "exiter" && $0.state.isTerminal } }
        let last = try #require(second.updates.last { $0.taskID == "exiter" })
        #expect(last.state == .lost)
        #expect(last.reason == .agentRestarted)
        #expect(!exiter.isGroupAlive())
    }

    @Test func withoutACheckpointDirectoryTheAgentStartsAfreshAndKillsItsTasksOnShutdown() async throws {
        let root = try Self.temporaryDirectory()
        var groups: [ProcessRecord] = []
        defer {
            for group in groups { group.signalGroup(SIGKILL) }
            try? FileManager.default.removeItem(atPath: root)
        }
        let (first, _, run1) = try await startRegistered(root: root, checkpoint: false)
        run(TaskInfo(id: "sleeper", resources: "cpus:1;mem:64", command: .shell("echo $$ > leader; sleep 1000 & wait")), on: first)
        let sleeper = try await group(of: "sleeper", root: root)
        groups = [sleeper]
        run1.cancel()
        await run1.value
        #expect(!sleeper.isGroupAlive(), "shutdown kills every task")
        #expect(!FileManager.default.fileExists(atPath: "\(root)/meta"))

        let second = ScriptedTransport()
        let fresh = agent(second, root: root, checkpoint: false)
        let run2 = Task { await fresh.run() }
        defer { run2.cancel() }
        try await waitUntil("a fresh REGISTER") { second.calls.contains { if case .register = $0.kind { return true } else { return false } } }
        #expect(!second.calls.contains { if case .reregister = $0.kind { return true } else { return false } })
        #expect(await fresh.taskStates.isEmpty)
    }
}
