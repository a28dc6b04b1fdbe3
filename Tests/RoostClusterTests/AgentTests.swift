import Foundation
import RoostAgent
import RoostCore
import Synchronization
import RoostTesting
import Testing

/// A transport whose master is the test: it sees every call and sends events by hand.
final class ScriptedTransport: AgentTransport {
    private struct State {
        var calls: [AgentCall] = []
        var continuation: AsyncStream<AgentEvent>.Continuation?
        var connections = 0
    }

    private let state = Mutex(State())

    func connect() async throws -> AgentLink {
        let (events, continuation) = AsyncStream<AgentEvent>.makeStream()
        state.withLock {
            $0.continuation = continuation
            $0.connections += 1
        }
        return AgentLink(
            events: events,
            send: { [weak self] call in self?.state.withLock { $0.calls.append(call) } },
            close: {})
    }

    var calls: [AgentCall] { state.withLock { $0.calls } }
    var connections: Int { state.withLock { $0.connections } }
    func send(_ event: AgentEvent) { _ = state.withLock { $0.continuation?.yield(event) } }
    /// Closes the current link, as a master stepping down does.
    func drop() { state.withLock { $0.continuation?.finish() } }

    var updates: [TaskStatus] {
        calls.compactMap { if case .update(_, let status) = $0.kind { return status } else { return nil } }
    }
}

@Suite(.timeLimit(.minutes(1)))
struct AgentTests {
    let framework = FrameworkInfo(id: "f1", name: "f")

    func start(retry: Duration = .seconds(60)) -> (Agent, ScriptedTransport) {
        let transport = ScriptedTransport()
        let agent = Agent(
            configuration: .init(hostname: "node", resources: "cpus:2;mem:512", statusUpdateRetry: retry, reconnectDelay: .milliseconds(5)),
            transport: transport, commandExecutor: { _, _ in ScriptedExecutor() },
            executors: ["scripted": { _, _ in ScriptedExecutor() }], clock: ContinuousClock())
        return (agent, transport)
    }

    func register(_ transport: ScriptedTransport, _ agent: Agent, epoch: UInt64 = 1) async throws {
        try await waitUntil("the agent registers") { transport.calls.contains { if case .register = $0.kind { return true } else { return false } } }
        transport.send(AgentEvent(epoch: LeaderEpoch(epoch), .registered(agentID: "a1", master: MasterInfo(id: "m", hostname: "h"), pingIntervalSeconds: 15)))
        try await waitUntil("the agent knows its ID") { await agent.agentID == "a1" }
    }

    @Test func aTaskThatDoesNotFitIsDropped() async throws {
        let (agent, transport) = start()
        let run = Task { await agent.run() }
        defer { run.cancel() }
        try await register(transport, agent)
        transport.send(AgentEvent(epoch: LeaderEpoch(1), .runTask(framework: framework, task: scripted("huge", outcome: "run", resources: "cpus:3;mem:128"))))
        try await waitUntil("TASK_DROPPED") { transport.updates.contains { $0.taskID == "huge" } }
        let dropped = try #require(transport.updates.first { $0.taskID == "huge" })
        #expect(dropped.state == .dropped)
        #expect(dropped.source == .agent)
        #expect(dropped.message == "task huge needs cpus:3;mem:128 but the agent has only cpus:2;mem:512 free")
        #expect(await agent.freeResources == "cpus:2;mem:512")
    }

    @Test func updatesGoOutInOrderOneAtATimeUntilAcknowledged() async throws {
        let (agent, transport) = start(retry: .milliseconds(20))
        let run = Task { await agent.run() }
        defer { run.cancel() }
        try await register(transport, agent)
        transport.send(AgentEvent(epoch: LeaderEpoch(1), .runTask(framework: framework, task: scripted("t", outcome: "finish"))))
        // STARTING goes out and, unacknowledged, is resent with the same UUID; RUNNING waits.
        try await waitUntil("STARTING resent") { transport.updates.filter { $0.state == .starting }.count >= 3 }
        let starting = transport.updates.filter { $0.state == .starting }
        #expect(Set(starting.map(\.uuid)).count == 1)
        #expect(!transport.updates.contains { $0.state == .running })
        for state in [TaskState.starting, .running, .finished] {
            try await waitUntil("\(state) sent") { transport.updates.contains { $0.state == state } }
            let uuid = try #require(transport.updates.first { $0.state == state }?.uuid)
            transport.send(AgentEvent(epoch: LeaderEpoch(1), .acknowledge(frameworkID: "f1", taskID: "t", uuid: uuid)))
        }
        try await waitUntil("the task is forgotten once its terminal update is acknowledged") { await agent.taskStates["t"] == nil }
        #expect(transport.updates.map(\.state).filter { $0 != .starting }.first == .running)
        #expect(await agent.freeResources == "cpus:2;mem:512")
    }

    @Test func aDeposedMasterIsIgnored() async throws {
        let (agent, transport) = start()
        let run = Task { await agent.run() }
        defer { run.cancel() }
        try await register(transport, agent, epoch: 5)
        transport.send(AgentEvent(epoch: LeaderEpoch(4), .runTask(framework: framework, task: scripted("stale", outcome: "run"))))
        transport.send(AgentEvent(epoch: LeaderEpoch(5), .runTask(framework: framework, task: scripted("fresh", outcome: "run"))))
        try await waitUntil("the fresh task starts") { await agent.taskStates["fresh"] != nil }
        #expect(await agent.taskStates["stale"] == nil)
    }

    @Test func reconnectsAndReregistersWithItsTasks() async throws {
        let (agent, transport) = start()
        let run = Task { await agent.run() }
        defer { run.cancel() }
        try await register(transport, agent)
        transport.send(AgentEvent(epoch: LeaderEpoch(1), .runTask(framework: framework, task: scripted("keep", outcome: "run"))))
        try await waitUntil("running") { await agent.taskStates["keep"] == .running }
        transport.drop()
        try await waitUntil("re-registered with the running task") {
            transport.calls.contains { call in
                if case .reregister(let info, let tasks, let frameworks) = call.kind {
                    return info.id == "a1" && tasks.map(\.task.id) == ["keep"] && tasks.first?.state == .running && frameworks.map(\.id) == ["f1"]
                }
                return false
            }
        }
        #expect(transport.connections == 2)
    }

    @Test func pingsAreAnswered() async throws {
        let (agent, transport) = start()
        let run = Task { await agent.run() }
        defer { run.cancel() }
        try await register(transport, agent)
        transport.send(AgentEvent(epoch: LeaderEpoch(1), .ping))
        try await waitUntil("pong") { transport.calls.contains { $0.kind == .pong && $0.agentID == "a1" } }
    }

    @Test func aStoppedAgentTellsTheMasterItIsGone() async throws {
        let (agent, transport) = start()
        let run = Task { await agent.run() }
        try await register(transport, agent)
        transport.send(AgentEvent(epoch: LeaderEpoch(1), .runTask(framework: framework, task: scripted("t", outcome: "run"))))
        try await waitUntil("running") { await agent.taskStates["t"] == .running }
        run.cancel()
        await run.value
        #expect(transport.calls.last?.kind == .unregister)
        #expect(transport.calls.last?.agentID == "a1")
    }
}
