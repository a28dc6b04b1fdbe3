import RoostAllocators
public import RoostCore

extension MasterState {
    /// Handles one message from an agent.
    ///
    /// `register` needs no agent ID (the master assigns one); every other message must come
    /// from a registered agent, or it is answered with nothing (the agent re-registers).
    public mutating func handle(_ call: AgentCall, now: Duration) -> [MasterOutput] {
        if case .register(let info) = call.kind { return register(info, now: now) }
        if case .reregister(let info, let tasks, let frameworkInfos) = call.kind {
            return reregister(info, tasks: tasks, frameworks: frameworkInfos, now: now)
        }
        guard let agentID = call.agentID, agents[agentID] != nil else { return [] }
        agents[agentID]?.missedPings = 0
        agents[agentID]?.awaitingPong = false
        switch call.kind {
        case .register, .reregister:
            return []
        case .update(let framework, let status):
            return statusUpdate(status, of: framework, from: agentID, now: now)
        case .message(let framework, let executorID, let data):
            guard let connection = frameworks[framework]?.connection else { return [] }
            return [.scheduler(connection, .message(agentID: agentID, executorID: executorID, data: data))]
        case .executorExited(let framework, let executorID, let status):
            guard let connection = frameworks[framework]?.connection else { return [] }
            return [.scheduler(connection, .failure(agentID: agentID, executorID: executorID, status: status))]
        case .pong:
            return []
        case .usage(let reports):
            for report in reports where frameworks[report.frameworkID]?.tasks[report.taskID]?.agentID == agentID {
                frameworks[report.frameworkID]?.tasks[report.taskID]?.usage = report.usage
            }
            return []
        case .unregister:
            return removeAgent(agentID, state: { _ in .gone }, reason: .agentRemoved, message: "the agent shut down", now: now)
        }
    }

    private mutating func register(_ info: AgentInfo, now: Duration) -> [MasterOutput] {
        counters.agents += 1
        let id = AgentID("\(master.id)-S\(counters.agents)")
        var registered = info
        registered.id = id
        do { try engine.addAgent(registered) } catch { return [] }
        agents[id] = AgentEntry(info: registered)
        return [.agent(id, .registered(agentID: id, master: master, pingIntervalSeconds: configuration.agentPingTimeout.seconds))]
    }

    /// An agent re-registers (after its own restart, a master failover, or a partition) with
    /// what it runs. The master adopts what it did not know (after a failover), takes the
    /// agent's word for the state of each task, and treats tasks it knew on this agent that
    /// the agent no longer reports as gone (or lost, for frameworks that are not partition-aware).
    private mutating func reregister(_ info: AgentInfo, tasks reports: [AgentTaskReport], frameworks reported: [FrameworkInfo], now: Duration) -> [MasterOutput] {
        guard let id = info.id else { return register(info, now: now) }
        var outputs: [MasterOutput] = []
        // Start the agent's books afresh from what it reports.
        if agents[id] != nil {
            outputs += rescindOffers(on: id, now: now)
            engine.removeAgent(id)
        }
        for frameworkInfo in reported {
            guard let frameworkID = frameworkInfo.id, frameworks[frameworkID] == nil, !removedFrameworks.contains(frameworkID) else { continue }
            // Known only from the agent (the master failed over): wait for its scheduler to
            // re-subscribe within its failover timeout.
            var adopted = frameworkInfo
            adopted.id = frameworkID
            frameworks[frameworkID] = FrameworkEntry(info: adopted, connection: nil, disconnectedAt: now)
            try? engine.addFramework(frameworkID, info: adopted)
            try? engine.suppress(frameworkID)
        }
        var holding: [Allocation] = []
        var reportedIDs: Set<String> = []
        for report in reports where frameworks[report.frameworkID] != nil && report.state.holdsResources {
            let role = frameworks[report.frameworkID]?.tasks[report.task.id]?.role ?? frameworks[report.frameworkID]?.info.roles.first ?? .any
            holding.append(Allocation(framework: report.frameworkID, role: role, agentID: id, resources: report.task.resources))
            reportedIDs.insert("\(report.frameworkID)/\(report.task.id)")
            let previous = frameworks[report.frameworkID]?.tasks[report.task.id]
            frameworks[report.frameworkID]?.tasks[report.task.id] = MasterTask(
                info: report.task, frameworkID: report.frameworkID, agentID: id, role: role,
                state: report.state, latestStatus: report.latestStatus ?? previous?.latestStatus)
            if previous?.state != report.state, let status = report.latestStatus, let connection = frameworks[report.frameworkID]?.connection {
                outputs.append(.scheduler(connection, .update(status: status)))
            }
        }
        var registered = info
        do {
            try engine.addAgent(registered, holding: holding)
        } catch {
            // What the agent reports does not fit what it has: take only its capacity.
            try? engine.addAgent(registered)
        }
        for report in reports where reportedIDs.contains("\(report.frameworkID)/\(report.task.id)") {
            guard let task = frameworks[report.frameworkID]?.tasks[report.task.id] else { continue }
            try? engine.taskLaunched(task.info.id, of: report.frameworkID, role: task.role, on: id, resources: task.info.resources, killGracePeriod: task.info.killGracePeriod ?? .seconds(3))
        }
        // Tasks the master believed were on this agent that the agent does not report.
        for (frameworkID, entry) in frameworks.sorted(by: { $0.key < $1.key }) {
            for task in entry.tasks.values.sorted(by: { $0.info.id < $1.info.id }) where task.agentID == id && !task.state.isTerminal {
                guard !reportedIDs.contains("\(frameworkID)/\(task.info.id)") else { continue }
                let state: TaskState = entry.isPartitionAware ? .gone : .lost
                settle(task.info.id, of: frameworkID, as: state)
                outputs += masterUpdate(task.info.id, state, reason: .agentRestarted, message: "the agent re-registered without this task", agentID: id, for: frameworkID, now: now)
            }
        }
        registered.id = id
        agents[id] = AgentEntry(info: registered)
        outputs.append(.agent(id, .reregistered(agentID: id, master: master, pingIntervalSeconds: configuration.agentPingTimeout.seconds)))
        return outputs
    }

    /// Pings every reachable agent each `agentPingTimeout`; an agent that missed
    /// `maxAgentPingTimeouts` pings in a row is marked unreachable.
    mutating func checkAgents(now: Duration) -> [MasterOutput] {
        guard lastPing.map({ now - $0 >= configuration.agentPingTimeout }) ?? true else { return [] }
        lastPing = now
        var outputs: [MasterOutput] = []
        for id in agents.keys.sorted() {
            guard var agent = agents[id], agent.reachable else { continue }
            if agent.awaitingPong { agent.missedPings += 1 }
            agent.awaitingPong = true
            agents[id] = agent
            if agent.missedPings >= configuration.maxAgentPingTimeouts {
                outputs += markUnreachable(id, now: now)
            } else {
                outputs.append(.agent(id, .ping))
            }
        }
        return outputs
    }

    /// An agent stopped answering: its offers are rescinded, its resources leave the pool, and
    /// its tasks are reported `TASK_UNREACHABLE` to partition-aware frameworks and `TASK_LOST`
    /// to the others, which also hear `agentLost`. If the agent comes back it re-registers.
    mutating func markUnreachable(_ id: AgentID, now: Duration) -> [MasterOutput] {
        guard agents[id]?.reachable == true else { return [] }
        var outputs = rescindOffers(on: id, now: now)
        engine.removeAgent(id)
        agents[id]?.reachable = false
        for (frameworkID, entry) in frameworks.sorted(by: { $0.key < $1.key }) {
            var touched = false
            for task in entry.tasks.values.sorted(by: { $0.info.id < $1.info.id }) where task.agentID == id && !task.state.isTerminal {
                touched = true
                let state: TaskState = entry.isPartitionAware ? .unreachable : .lost
                settle(task.info.id, of: frameworkID, as: state)
                outputs += masterUpdate(task.info.id, state, reason: .agentUnreachable, message: "agent \(id) stopped answering pings", agentID: id, for: frameworkID, now: now)
            }
            if touched, let connection = entry.connection {
                outputs.append(.scheduler(connection, .failure(agentID: id, executorID: nil, status: nil)))
            }
        }
        return outputs
    }

    /// Removes an agent for good, settling its tasks with `state(framework)`.
    private mutating func removeAgent(_ id: AgentID, state: (FrameworkEntry) -> TaskState, reason: TaskStatus.Reason, message: String, now: Duration) -> [MasterOutput] {
        var outputs = rescindOffers(on: id, now: now)
        engine.removeAgent(id)
        agents[id] = nil
        for (frameworkID, entry) in frameworks.sorted(by: { $0.key < $1.key }) {
            for task in entry.tasks.values.sorted(by: { $0.info.id < $1.info.id }) where task.agentID == id && !task.state.isTerminal {
                let final = state(entry)
                settle(task.info.id, of: frameworkID, as: final)
                outputs += masterUpdate(task.info.id, final, reason: reason, message: message, agentID: id, for: frameworkID, now: now)
            }
        }
        return outputs
    }

    /// Records a state the master decided itself. Its update needs no acknowledgement, so a
    /// terminal task moves straight to the framework's completed tasks.
    private mutating func settle(_ taskID: TaskID, of framework: FrameworkID, as state: TaskState) {
        guard var task = frameworks[framework]?.tasks[taskID] else { return }
        task.state = state
        if state.isTerminal {
            frameworks[framework]?.tasks[taskID] = nil
            complete(task, of: framework)
        } else {
            frameworks[framework]?.tasks[taskID] = task
        }
    }
}
