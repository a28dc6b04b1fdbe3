import FoundationEssentials
public import RoostCore
public import RoostMaster

/// What happens to the status updates agents send, for fault injection.
struct StatusFilter: Sendable {
    enum Decision { case deliver, drop, delay(Duration) }

    var dropsLeft = 0
    var delay = Duration.zero

    mutating func decide() -> Decision {
        if dropsLeft > 0 {
            dropsLeft -= 1
            return .drop
        }
        return delay > .zero ? .delay(delay) : .deliver
    }
}

extension SimulatedCluster {
    // MARK: Fault injection

    /// Kills a task from outside the cluster (as if its process was `kill -9`ed): it is
    /// reported `TASK_FAILED`. Nothing happens if the task does not run.
    public func killTask(_ taskID: TaskID, of framework: FrameworkID) async {
        let key = TaskKey(framework: framework, task: taskID)
        if let agentID = taskLocations[key] {
            end(key, on: agentID, state: .failed, message: "terminated by signal 9 (killed outside the cluster)")
        }
        await drain()
    }

    /// Cuts an agent off from the master: it stops answering pings (so after
    /// `agentPingTimeout × maxAgentPingTimeouts` the master marks it unreachable), its
    /// updates wait, and what the master sends it is lost. Its tasks keep running.
    public func partitionAgent(_ agentID: AgentID) async {
        agents[agentID]?.partitioned = true
        await drain()
    }

    /// Ends a partition: the agent re-registers with what it runs and resends what was not
    /// acknowledged, as a real agent does when its link comes back.
    public func healAgent(_ agentID: AgentID) async {
        guard agents[agentID]?.partitioned == true else { return }
        agents[agentID]?.partitioned = false
        reconnect(agentID)
        await drain()
    }

    /// Restarts an agent (with its work directory, as after an agent process crash): tasks
    /// of frameworks that checkpoint keep running and are reported again; the others end
    /// `TASK_LOST` with reason `REASON_AGENT_RESTARTED`, as a real agent reports them.
    public func restartAgent(_ agentID: AgentID) async {
        guard let agent = agents[agentID] else { return }
        agents[agentID]?.partitioned = false
        for (key, task) in agent.tasks.sorted(by: { ($0.key.framework, $0.key.task) < ($1.key.framework, $1.key.task) })
        where !task.state.isTerminal && agent.frameworks[key.framework]?.checkpoint != true {
            agents[agentID]?.tasks[key]?.state = .lost
            agents[agentID]?.pending[key, default: []].append(TaskStatus(
                taskID: key.task, state: .lost, reason: .agentRestarted,
                message: "the agent restarted and framework \(key.framework) does not checkpoint", source: .agent,
                agentID: agentID, uuid: nextUUID(), timestamp: Timestamp(secondsSinceEpoch: now.seconds)))
        }
        reconnect(agentID)
        await drain()
    }

    /// Replaces the master with a newly elected one that knows nothing, as after a master
    /// failover: every agent that can reach it re-registers with what it runs, and every
    /// connected scheduler re-subscribes with its framework ID (its scheduler's
    /// `reregistered` is called, followed by a reconciliation). Offers made by the old
    /// master are gone.
    public func failoverMaster() async {
        masterGeneration += 1
        let info = MasterInfo(id: MasterID("simulated-master-\(masterGeneration)"), hostname: "simulated", port: 0)
        replaceMaster(MasterState(
            master: info, policy: configuration.policy(), wallClockAtOrigin: Timestamp(secondsSinceEpoch: 0),
            configuration: configuration.master, allocation: configuration.allocation))
        for agentID in agentOrder where agents[agentID]?.partitioned == false {
            reconnect(agentID)
        }
        for (connection, entry) in connectionsByID() {
            queue((try? master.handle(SchedulerCall(frameworkID: entry.framework.id, .subscribe(framework: entry.framework)), from: connection, now: now)) ?? [])
        }
        markAllocationDue()
        await drain()
    }

    /// Drops the next `count` status updates agents send (each is resent after
    /// ``Configuration/statusUpdateRetry``, as a real agent resends unacknowledged updates).
    public func dropStatusUpdates(_ count: Int) {
        statusFilter.dropsLeft = max(0, count)
    }

    /// Delays every status update agents send by `delay` from now on (`.zero` ends it).
    public func delayStatusUpdates(by delay: Duration) {
        statusFilter.delay = max(.zero, delay)
    }

    /// The agent re-registers and sends the head of every task's unacknowledged updates.
    private func reconnect(_ agentID: AgentID) {
        guard let call = reregistration(of: agentID) else { return }
        queue(master.handle(call, now: now))
        for key in (agents[agentID]?.pending.keys).map(Array.init)?.sorted(by: { ($0.framework, $0.task) < ($1.framework, $1.task) }) ?? [] {
            transmitHead(of: key, on: agentID)
        }
        markAllocationDue()
    }

    // MARK: Inspection

    /// Everything the master knows now.
    public func snapshot() -> MasterSnapshot { master.snapshot }

    /// The tasks the master knows (running and completed), optionally of one framework and in one state.
    public func tasks(of framework: FrameworkID? = nil, in state: TaskState? = nil) -> [MasterTask] {
        master.snapshot.frameworks
            .filter { framework == nil || $0.info.id == framework }
            .flatMap { $0.tasks + $0.completedTasks }
            .filter { state == nil || $0.state == state }
    }

    /// The resources the master counts as `framework`'s (offered or used).
    public func allocation(of framework: FrameworkID) -> Resources {
        master.snapshot.frameworks.first { $0.info.id == framework }?.allocated ?? Resources()
    }

    /// The framework's dominant share of the cluster (0…1).
    public func dominantShare(of framework: FrameworkID) -> Double {
        master.snapshot.frameworks.first { $0.info.id == framework }?.dominantShare ?? 0
    }

    /// Offers received, declined and accepted, and tasks launched by `framework`.
    public func counters(of framework: FrameworkID) -> FrameworkCounters {
        counters[framework] ?? FrameworkCounters()
    }

    /// Why `framework` gets what it gets, as the allocator explains it.
    public func explain(_ framework: FrameworkID) -> [AllocationExplanation] {
        master.explain(framework)
    }

    /// The agents, in the order they were added.
    public var agentIDs: [AgentID] { agentOrder }

    /// The tasks an agent runs now (its own view), by framework.
    public func runningTasks(on agentID: AgentID) -> [FrameworkID: [TaskID]] {
        var result: [FrameworkID: [TaskID]] = [:]
        for (key, task) in agents[agentID]?.tasks ?? [:] where !task.state.isTerminal {
            result[key.framework, default: []].append(key.task)
        }
        return result.mapValues { $0.sorted() }
    }
}
