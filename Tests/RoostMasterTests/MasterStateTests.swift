import Foundation
import RoostAllocators
import RoostCore
import RoostMaster
import Testing

/// A master state machine with helpers that play schedulers and agents.
struct Harness {
    var state: MasterState
    var now: Duration = .zero

    init(policy: any AllocatorPolicy = DRFAllocator(), configuration: MasterState.Configuration = .init()) {
        state = MasterState(
            master: MasterInfo(id: "m1", hostname: "localhost"), policy: policy,
            wallClockAtOrigin: Timestamp(secondsSinceEpoch: 1_800_000_000), configuration: configuration)
    }

    mutating func subscribe(_ info: FrameworkInfo, on connection: ConnectionID) throws -> (FrameworkID, [MasterOutput]) {
        let outputs = try state.handle(SchedulerCall(frameworkID: info.id, .subscribe(framework: info)), from: connection, now: now)
        for case .scheduler(connection, .subscribed(let id, _, _)) in outputs { return (id, outputs) }
        Issue.record("no SUBSCRIBED in \(outputs)")
        return ("", outputs)
    }

    mutating func register(_ resources: Resources, hostname: String = "node") -> AgentID {
        let outputs = state.handle(AgentCall(agentID: nil, .register(agent: AgentInfo(hostname: hostname, resources: resources))), now: now)
        for case .agent(let id, .registered) in outputs { return id }
        Issue.record("no REGISTERED in \(outputs)")
        return ""
    }

    mutating func call(_ kind: SchedulerCall.Kind, as framework: FrameworkID, on connection: ConnectionID) throws -> [MasterOutput] {
        try state.handle(SchedulerCall(frameworkID: framework, kind), from: connection, now: now)
    }

    /// Runs an allocation cycle now and returns the offers sent to `connection`.
    mutating func offers(to connection: ConnectionID) -> [Offer] {
        offers(in: state.tick(now: now, allocateNow: true), to: connection)
    }

    func offers(in outputs: [MasterOutput], to connection: ConnectionID) -> [Offer] {
        outputs.flatMap { output -> [Offer] in
            if case .scheduler(connection, .offers(let offers)) = output { return offers }
            return []
        }
    }

    mutating func agentUpdate(_ agent: AgentID, framework: FrameworkID, task: TaskID, _ taskState: TaskState, uuid: UUID = UUID(), exitCode: Int32? = nil) -> [MasterOutput] {
        let status = TaskStatus(taskID: task, state: taskState, source: .executor, agentID: agent, uuid: uuid, timestamp: Timestamp(secondsSinceEpoch: 1_800_000_001), exitCode: exitCode)
        return state.handle(AgentCall(agentID: agent, .update(frameworkID: framework, status: status)), now: now)
    }
}

func updates(in outputs: [MasterOutput], to connection: ConnectionID) -> [TaskStatus] {
    outputs.compactMap { output in
        if case .scheduler(connection, .update(let status)) = output { return status }
        return nil
    }
}

func task(_ id: TaskID, _ resources: Resources = "cpus:1;mem:128", command: String = "true") -> TaskInfo {
    TaskInfo(id: id, resources: resources, command: .shell(command))
}

struct MasterStateTests {
    let scheduler = ConnectionID(1)

    @Test func offersLaunchesAndFinishesATask() throws {
        var master = Harness()
        let (framework, _) = try master.subscribe(FrameworkInfo(name: "echo"), on: scheduler)
        #expect(framework == "m1-0001")
        let agent = master.register("cpus:4;mem:1024")
        let offers = master.offers(to: scheduler)
        #expect(offers.count == 1)
        #expect(offers[0].resources == "cpus:4;mem:1024")
        #expect(offers[0].agentID == agent)

        let launched = try master.call(.accept(offerIDs: [offers[0].id], operations: [.launch(tasks: [task("t1")])], filters: Filters(refuse: .zero)), as: framework, on: scheduler)
        guard case .agent(agent, .runTask(_, let sent)) = launched.first else {
            Issue.record("expected RUN_TASK, got \(launched)")
            return
        }
        #expect(sent.agentID == agent)
        // The rest went back to the pool and is offered again.
        #expect(master.offers(to: scheduler).map(\.resources) == ["cpus:3;mem:896"])

        let running = master.agentUpdate(agent, framework: framework, task: "t1", .running)
        #expect(updates(in: running, to: scheduler).map(\.state) == [.running])
        let finishedUUID = UUID()
        let finished = master.agentUpdate(agent, framework: framework, task: "t1", .finished, uuid: finishedUUID, exitCode: 0)
        #expect(updates(in: finished, to: scheduler).map(\.state) == [.finished])
        // Acknowledgements are forwarded to the agent, and are idempotent.
        for _ in 0..<2 {
            let acked = try master.call(.acknowledge(agentID: agent, taskID: "t1", uuid: finishedUUID), as: framework, on: scheduler)
            #expect(acked == [.agent(agent, .acknowledge(frameworkID: framework, taskID: "t1", uuid: finishedUUID))])
        }
        let snapshot = master.state.snapshot
        #expect(snapshot.frameworks[0].tasks.isEmpty)
        #expect(snapshot.frameworks[0].completedTasks.map(\.state) == [.finished])
    }

    @Test func invalidAcceptsNameTheProblemAndChangeNothingElse() throws {
        var master = Harness()
        let (framework, _) = try master.subscribe(FrameworkInfo(name: "f"), on: scheduler)
        let other = ConnectionID(2)
        let (otherFramework, _) = try master.subscribe(FrameworkInfo(name: "g"), on: other)
        let agent = master.register("cpus:2;mem:1024")
        let offer = try #require(master.offers(to: scheduler).first)

        let stale = #expect(throws: SchedulerDriverError.self) {
            try master.call(.accept(offerIDs: ["m1-O999"], operations: [.launch(tasks: [task("t1")])], filters: .default), as: framework, on: scheduler)
        }
        #expect(stale?.code == .unknownOffer)
        #expect(stale?.message.contains("m1-O999") == true)
        let foreign = #expect(throws: SchedulerDriverError.self) {
            try master.call(.accept(offerIDs: [offer.id], operations: [], filters: .default), as: otherFramework, on: other)
        }
        #expect(foreign?.code == .unknownOffer)
        #expect(master.state.snapshot.offers.map(\.id) == [offer.id], "the offer is still outstanding")

        // Over-committed and duplicate tasks get TASK_ERROR; the valid one launches.
        let outputs = try master.call(.accept(offerIDs: [offer.id], operations: [.launch(tasks: [
            task("ok", "cpus:1;mem:512"), task("ok", "cpus:0.5;mem:128"), task("big", "cpus:4;mem:128"),
        ])], filters: .default), as: framework, on: scheduler)
        let errors = updates(in: outputs, to: scheduler)
        #expect(errors.map(\.state) == [.error, .error])
        #expect(errors.map(\.taskID) == ["ok", "big"])
        #expect(errors[0].message?.contains("used twice") == true)
        #expect(errors[1].message?.contains("needs cpus:4;mem:128 but only cpus:1;mem:512 is left") == true)
        #expect(errors.allSatisfy { $0.reason == .taskInvalid && $0.source == .master && $0.uuid == nil })
        let runs = outputs.filter { if case .agent(agent, .runTask) = $0 { return true } else { return false } }
        #expect(runs.count == 1)

        // A later accept reusing a live task ID is refused for that task only.
        master.now = .seconds(10)
        _ = try master.call(.suppress(roles: []), as: otherFramework, on: other)
        let next = try #require(master.offers(to: scheduler).first)
        let reuse = try master.call(.accept(offerIDs: [next.id], operations: [.launch(tasks: [task("ok", "cpus:0.5;mem:128")])], filters: .default), as: framework, on: scheduler)
        let refused = updates(in: reuse, to: scheduler)
        #expect(refused.map(\.state) == [.error])
        #expect(refused.first?.message == "task ID ok is already used by a TASK_STAGING task of this framework")
    }

    @Test func frameworkFailoverFencesTheOldScheduler() throws {
        var master = Harness()
        let info = FrameworkInfo(name: "svc", failoverTimeout: .seconds(60))
        let (framework, _) = try master.subscribe(info, on: scheduler)
        let agent = master.register("cpus:2;mem:1024")
        let offer = try #require(master.offers(to: scheduler).first)
        _ = try master.call(.accept(offerIDs: [offer.id], operations: [.launch(tasks: [task("t1")])], filters: .default), as: framework, on: scheduler)
        _ = master.agentUpdate(agent, framework: framework, task: "t1", .running)

        var again = info
        again.id = framework
        let newConnection = ConnectionID(7)
        let (same, outputs) = try master.subscribe(again, on: newConnection)
        #expect(same == framework)
        #expect(outputs.contains(.scheduler(scheduler, .error(message: "framework failed over: another scheduler subscribed as \(framework)"))))
        #expect(outputs.contains(.closeScheduler(scheduler)))
        // The fenced connection can no longer act.
        #expect(throws: SchedulerDriverError.self) { try master.call(.revive(roles: []), as: framework, on: scheduler) }
        // The task is kept.
        #expect(master.state.snapshot.frameworks[0].tasks.map(\.state) == [.running])
    }

    @Test func failoverTimeoutRemovesTheFrameworkAndItsTasks() throws {
        var master = Harness()
        let info = FrameworkInfo(name: "svc", failoverTimeout: .seconds(60))
        let (framework, _) = try master.subscribe(info, on: scheduler)
        let agent = master.register("cpus:2;mem:1024")
        let offer = try #require(master.offers(to: scheduler).first)
        _ = try master.call(.accept(offerIDs: [offer.id], operations: [.launch(tasks: [task("t1")])], filters: .default), as: framework, on: scheduler)
        _ = master.state.schedulerDisconnected(scheduler, now: .seconds(1))

        // Within the timeout the framework and its task stay.
        #expect(master.state.tick(now: .seconds(60)).contains(.agent(agent, .shutdownFramework(frameworkID: framework))) == false)
        #expect(master.state.snapshot.frameworks.count == 1)
        let expired = master.state.tick(now: .seconds(61))
        #expect(expired.contains(.agent(agent, .shutdownFramework(frameworkID: framework))))
        #expect(master.state.snapshot.frameworks.isEmpty)
        #expect(master.state.snapshot.agents[0].free == "cpus:2;mem:1024")
        // The removed framework cannot come back under its ID.
        var again = info
        again.id = framework
        let refused = #expect(throws: SchedulerDriverError.self) { try master.subscribe(again, on: ConnectionID(9)) }
        #expect(refused?.code == .failedOver)
    }

    @Test func zeroFailoverTimeoutRemovesAtOnce() throws {
        var master = Harness()
        let (framework, _) = try master.subscribe(FrameworkInfo(name: "batch"), on: scheduler)
        _ = master.register("cpus:1;mem:128")
        _ = master.offers(to: scheduler)
        _ = master.state.schedulerDisconnected(scheduler, now: .zero)
        #expect(master.state.snapshot.frameworks.isEmpty)
        #expect(master.state.snapshot.offers.isEmpty)
        #expect(!master.state.snapshot.frameworks.contains { $0.info.id == framework })
    }

    @Test func silentAgentBecomesUnreachable() throws {
        var master = Harness(configuration: .init(agentPingTimeout: .seconds(15), maxAgentPingTimeouts: 5))
        let (plain, _) = try master.subscribe(FrameworkInfo(name: "plain"), on: scheduler)
        let aware = ConnectionID(2)
        let (partitionAware, _) = try master.subscribe(FrameworkInfo(name: "aware", capabilities: [.partitionAware]), on: aware)
        let agent = master.register("cpus:4;mem:1024")
        for (framework, connection) in [(plain, scheduler), (partitionAware, aware)] {
            let offers = master.offers(to: connection)
            guard let offer = offers.first else { continue }
            _ = try master.call(.accept(offerIDs: [offer.id], operations: [.launch(tasks: [task(TaskID("t-\(framework)"))])], filters: Filters(refuse: .zero)), as: framework, on: connection)
        }
        _ = master.state.tick(now: .seconds(1), allocateNow: true)
        // Pings went out at 0 s (the first tick); unanswered ones at 15, 30, 45 and 60 s follow.
        var outputs: [MasterOutput] = []
        for second in stride(from: 15, through: 60, by: 15) {
            let tick = master.state.tick(now: .seconds(second))
            #expect(tick.contains(.agent(agent, .ping)), "ping at \(second) s")
            outputs += tick
        }
        #expect(master.state.snapshot.agents[0].reachable, "four missed pings are tolerated")
        // The fifth ping in a row times out at 75 s: 15 s × 5, Mesos' defaults.
        outputs += master.state.tick(now: .seconds(75))
        let plainUpdates = updates(in: outputs, to: scheduler)
        let awareUpdates = updates(in: outputs, to: aware)
        #expect(plainUpdates.map(\.state).allSatisfy { $0 == .lost })
        #expect(awareUpdates.map(\.state).allSatisfy { $0 == .unreachable })
        #expect(outputs.contains(.scheduler(scheduler, .failure(agentID: agent, executorID: nil, status: nil))))
        #expect(master.state.snapshot.agents[0].reachable == false)
        // LOST is final and needs no acknowledgement: the task is completed. UNREACHABLE may come back.
        let frameworks = master.state.snapshot.frameworks
        #expect(frameworks.first { $0.info.id == plain }?.completedTasks.map(\.state) == [.lost])
        #expect(frameworks.first { $0.info.id == partitionAware }?.tasks.map(\.state) == [.unreachable])
    }

    @Test func answeringPingsKeepsAnAgent() throws {
        var master = Harness()
        let agent = master.register("cpus:1;mem:128")
        for second in stride(from: 15, through: 150, by: 15) {
            _ = master.state.tick(now: .seconds(second))
            _ = master.state.handle(AgentCall(agentID: agent, .pong), now: .seconds(second))
        }
        #expect(master.state.snapshot.agents[0].reachable)
    }

    @Test func reconciliation() throws {
        var master = Harness()
        let (framework, _) = try master.subscribe(FrameworkInfo(name: "f"), on: scheduler)
        let agent = master.register("cpus:2;mem:1024")
        let offer = try #require(master.offers(to: scheduler).first)
        _ = try master.call(.accept(offerIDs: [offer.id], operations: [.launch(tasks: [task("known")])], filters: .default), as: framework, on: scheduler)
        _ = master.agentUpdate(agent, framework: framework, task: "known", .running)

        let implicit = updates(in: try master.call(.reconcile(tasks: []), as: framework, on: scheduler), to: scheduler)
        #expect(implicit.map(\.taskID) == ["known"])
        #expect(implicit.map(\.state) == [.running])
        #expect(implicit.allSatisfy { $0.reason == .reconciliation && $0.uuid == nil })

        let explicit = updates(in: try master.call(.reconcile(tasks: [ReconcileTask(taskID: "known"), ReconcileTask(taskID: "ghost", agentID: agent), ReconcileTask(taskID: "nowhere", agentID: "m1-S99")]), as: framework, on: scheduler), to: scheduler)
        #expect(explicit.map(\.state) == [.running, .lost, .lost], "not partition-aware: unknown tasks are LOST")

        let aware = ConnectionID(3)
        let (awareID, _) = try master.subscribe(FrameworkInfo(name: "a", capabilities: [.partitionAware]), on: aware)
        let answers = updates(in: try master.call(.reconcile(tasks: [ReconcileTask(taskID: "ghost", agentID: agent), ReconcileTask(taskID: "nowhere", agentID: "m1-S99")]), as: awareID, on: aware), to: aware)
        #expect(answers.map(\.state) == [.gone, .unknown])
    }

    @Test func latestReadinessIsKeptAndReconciled() throws {
        var master = Harness()
        let (framework, _) = try master.subscribe(FrameworkInfo(name: "svc"), on: scheduler)
        let agent = master.register("cpus:2;mem:1024")
        let offer = try #require(master.offers(to: scheduler).first)
        var web = task("web")
        web.readinessCheck = ReadinessCheck(.http(port: 8080, path: "/ready"))
        _ = try master.call(.accept(offerIDs: [offer.id], operations: [.launch(tasks: [web])], filters: .default), as: framework, on: scheduler)
        _ = master.agentUpdate(agent, framework: framework, task: "web", .running)
        // The executor's readiness update, carrying the last health verdict.
        let ready = TaskStatus(
            taskID: "web", state: .running, reason: .taskCheckStatusUpdated, source: .executor, agentID: agent, uuid: UUID(),
            timestamp: Timestamp(secondsSinceEpoch: 1_800_000_002), healthy: true, ready: true)
        let forwarded = updates(in: master.state.handle(AgentCall(agentID: agent, .update(frameworkID: framework, status: ready)), now: master.now), to: scheduler)
        #expect(forwarded == [ready], "forwarded as it came")
        let kept = try #require(master.state.snapshot.frameworks.first?.tasks.first)
        #expect(kept.latestStatus?.ready == true && kept.latestStatus?.healthy == true)
        #expect(kept.info.readinessCheck == web.readinessCheck)

        // Executors report only changes: reconciliation must tell a failed-over framework.
        let reconciled = updates(in: try master.call(.reconcile(tasks: []), as: framework, on: scheduler), to: scheduler)
        #expect(reconciled.map(\.ready) == [true])
        #expect(reconciled.map(\.healthy) == [true])
        #expect(reconciled.map(\.reason) == [.reconciliation])
    }

    @Test func illegalUpdatesAreAcknowledgedButNotApplied() throws {
        var master = Harness()
        let (framework, _) = try master.subscribe(FrameworkInfo(name: "f"), on: scheduler)
        let agent = master.register("cpus:2;mem:1024")
        let offer = try #require(master.offers(to: scheduler).first)
        _ = try master.call(.accept(offerIDs: [offer.id], operations: [.launch(tasks: [task("t")])], filters: .default), as: framework, on: scheduler)
        _ = master.agentUpdate(agent, framework: framework, task: "t", .finished)
        let late = UUID()
        let outputs = master.agentUpdate(agent, framework: framework, task: "t", .running, uuid: late)
        #expect(outputs == [.agent(agent, .acknowledge(frameworkID: framework, taskID: "t", uuid: late))])
        #expect(master.state.snapshot.frameworks[0].tasks.map(\.state) == [.finished])
    }

    @Test func agentReregistersAfterMasterFailover() throws {
        // A new master knows nothing; the agent re-registers with its running task.
        var master = Harness()
        let framework = FrameworkInfo(id: "m0-0001", name: "svc", failoverTimeout: .seconds(600))
        let running = TaskInfo(id: "t1", agentID: "m0-S1", resources: "cpus:1;mem:256", command: .shell("sleep 100"))
        let outputs = master.state.handle(AgentCall(agentID: "m0-S1", .reregister(
            agent: AgentInfo(id: "m0-S1", hostname: "node", resources: "cpus:2;mem:1024"),
            tasks: [AgentTaskReport(frameworkID: "m0-0001", task: running, state: .running)],
            frameworks: [framework])), now: .zero)
        #expect(outputs.contains { if case .agent("m0-S1", .reregistered) = $0 { return true } else { return false } })
        let snapshot = master.state.snapshot
        #expect(snapshot.agents[0].free == "cpus:1;mem:768")
        #expect(snapshot.frameworks.map(\.connected) == [false])
        // The scheduler comes back with its ID and finds its task.
        let (id, _) = try master.subscribe(framework, on: scheduler)
        #expect(id == "m0-0001")
        let reconciled = updates(in: try master.call(.reconcile(tasks: []), as: id, on: scheduler), to: scheduler)
        #expect(reconciled.map(\.state) == [.running])
    }

    @Test func preemptionKillsTheChosenTasks() throws {
        var master = Harness(policy: PriorityAllocator())
        let low = ConnectionID(1)
        let high = ConnectionID(2)
        let (lowID, _) = try master.subscribe(FrameworkInfo(name: "low", priority: 0), on: low)
        let agent = master.register("cpus:2;mem:1024")
        let offer = try #require(master.offers(to: low).first)
        _ = try master.call(.accept(offerIDs: [offer.id], operations: [.launch(tasks: [
            TaskInfo(id: "old", resources: "cpus:1;mem:512", command: .shell("sleep 100"), killGracePeriod: .seconds(2)),
            TaskInfo(id: "young", resources: "cpus:1;mem:512", command: .shell("sleep 100"), killGracePeriod: .seconds(4)),
        ])], filters: .default), as: lowID, on: low)
        let (highID, _) = try master.subscribe(FrameworkInfo(name: "high", priority: 10), on: high)
        _ = try master.call(.request(requests: [ResourceRequest(resources: "cpus:1;mem:512")]), as: highID, on: high)
        let outputs = master.state.tick(now: .seconds(1), allocateNow: true)
        #expect(outputs.contains(.agent(agent, .killTask(frameworkID: lowID, taskID: "young", gracePeriodSeconds: 4))))
        #expect(!outputs.contains(.agent(agent, .killTask(frameworkID: lowID, taskID: "old", gracePeriodSeconds: 2))))
    }

    @Test func callsBeforeSubscribingAreRefused() {
        var master = Harness()
        let error = #expect(throws: SchedulerDriverError.self) { try master.call(.revive(roles: []), as: "x", on: ConnectionID(5)) }
        #expect(error?.code == .notSubscribed)
        let bad = #expect(throws: SchedulerDriverError.self) { try master.subscribe(FrameworkInfo(name: ""), on: ConnectionID(6)) }
        #expect(bad?.code == .invalidCall)
        #expect(bad?.message.contains("framework.name") == true)
    }
}
