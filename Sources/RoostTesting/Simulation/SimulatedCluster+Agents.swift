import FoundationEssentials
import RoostCore
import RoostMaster

/// A simulated agent: what it runs and what it has not yet had acknowledged.
struct SimulatedAgent: Sendable {
    var info: AgentInfo
    /// Cut off from the master: it answers no ping, its updates wait, messages to it are lost.
    var partitioned = false
    var frameworks: [FrameworkID: FrameworkInfo] = [:]
    /// Tasks that run, or whose last updates are not yet acknowledged.
    var tasks: [TaskKey: SimulatedTask] = [:]
    /// Unacknowledged updates per task, oldest first; the first is in flight.
    var pending: [TaskKey: [TaskStatus]] = [:]
}

/// One launch of a task on a simulated agent.
struct SimulatedTask: Sendable {
    var info: TaskInfo
    var state: TaskState
    var steps: [TaskStep]
    /// Which launch this is, so steps scheduled for an earlier launch of the same ID are ignored.
    var run: UInt64
}

extension SimulatedCluster {
    /// Carries out a message from the master to an agent, as a real agent would.
    func agentEvent(_ event: AgentEvent.Kind, on agentID: AgentID) {
        guard let agent = agents[agentID], !agent.partitioned else { return }  // lost on the way
        switch event {
        case .registered, .reregistered, .message:
            break
        case .runTask(let framework, let task):
            guard let frameworkID = framework.id else { return }
            let key = TaskKey(framework: frameworkID, task: task.id)
            if let existing = agent.tasks[key], !existing.state.isTerminal { return }  // a duplicate delivery
            agents[agentID]?.frameworks[frameworkID] = framework
            let behavior = configuration.behavior(frameworkID, task) ?? configuration.defaultBehavior
            let run = nextRun()
            agents[agentID]?.tasks[key] = SimulatedTask(info: task, state: .running, steps: behavior.steps, run: run)
            taskLocations[key] = agentID
            report(key, on: agentID, TaskStep(after: .zero, state: .running))
            scheduleStep(key, on: agentID, run: run, index: 0)
        case .killTask(let frameworkID, let taskID, _):
            end(TaskKey(framework: frameworkID, task: taskID), on: agentID, state: .killed, message: "killed on request")
        case .shutdownFramework(let frameworkID):
            for key in agent.tasks.keys.sorted(by: { $0.task < $1.task }) where key.framework == frameworkID {
                end(key, on: agentID, state: .killed, message: "the framework was shut down")
            }
        case .shutdownExecutor(let frameworkID, let executorID):
            for (key, task) in agent.tasks.sorted(by: { $0.key.task < $1.key.task })
            where key.framework == frameworkID && task.info.executor?.id == executorID {
                end(key, on: agentID, state: .killed, message: "its executor was shut down")
            }
        case .acknowledge(let frameworkID, let taskID, let uuid):
            let key = TaskKey(framework: frameworkID, task: taskID)
            guard agent.pending[key]?.first?.uuid == uuid else { return }
            agents[agentID]?.pending[key]?.removeFirst()
            if agents[agentID]?.pending[key]?.isEmpty == false {
                transmitHead(of: key, on: agentID)
            } else {
                agents[agentID]?.pending[key] = nil
                if agents[agentID]?.tasks[key]?.state.isTerminal == true {
                    agents[agentID]?.tasks[key] = nil
                    if taskLocations[key] == agentID { taskLocations[key] = nil }
                }
            }
        case .ping:
            queue(master.handle(AgentCall(agentID: agentID, .pong), now: now))
        }
    }

    /// A task's next scripted step is due.
    func step(_ key: TaskKey, on agentID: AgentID, run: UInt64, index: Int) {
        guard let task = agents[agentID]?.tasks[key], task.run == run, !task.state.isTerminal, index < task.steps.count else { return }
        let step = task.steps[index]
        report(key, on: agentID, step)
        scheduleStep(key, on: agentID, run: run, index: index + 1)
    }

    private func scheduleStep(_ key: TaskKey, on agentID: AgentID, run: UInt64, index: Int) {
        guard let task = agents[agentID]?.tasks[key], !task.state.isTerminal, index < task.steps.count else { return }
        schedule(.taskStep(agentID, key, run: run, index: index), at: now + max(task.steps[index].after, .zero))
    }

    /// Ends a running task with `state` (a kill, a crash); nothing if it already ended.
    func end(_ key: TaskKey, on agentID: AgentID, state: TaskState, message: String, reason: TaskStatus.Reason? = nil) {
        guard let task = agents[agentID]?.tasks[key], !task.state.isTerminal else { return }
        report(key, on: agentID, TaskStep(after: .zero, state: state, message: message), reason: reason)
    }

    /// Records a task's new state and sends the update (if the state may follow the current one).
    private func report(_ key: TaskKey, on agentID: AgentID, _ step: TaskStep, reason: TaskStatus.Reason? = nil) {
        guard let task = agents[agentID]?.tasks[key], task.state == step.state || task.state.canTransition(to: step.state) || step.state == .running else { return }
        agents[agentID]?.tasks[key]?.state = step.state
        let status = TaskStatus(
            taskID: key.task, state: step.state, reason: reason, message: step.message, source: reason == nil ? .executor : .agent,
            agentID: agentID, executorID: task.info.executor?.id, uuid: nextUUID(),
            timestamp: Timestamp(secondsSinceEpoch: now.seconds), healthy: step.healthy, ready: step.ready, exitCode: step.exitCode)
        sendUpdate(status, of: key.framework, from: agentID)
    }

    /// The agent's registration message after a partition or a restart: what it runs and
    /// what it has not had acknowledged.
    func reregistration(of agentID: AgentID) -> AgentCall? {
        guard let agent = agents[agentID] else { return nil }
        let reports = agent.tasks.sorted { ($0.key.framework, $0.key.task) < ($1.key.framework, $1.key.task) }.map { key, task in
            AgentTaskReport(frameworkID: key.framework, task: task.info, state: task.state, latestStatus: agent.pending[key]?.last)
        }
        let frameworks = agent.frameworks.values.sorted { ($0.id?.value ?? "") < ($1.id?.value ?? "") }
        return AgentCall(agentID: agentID, .reregister(agent: agent.info, tasks: reports, frameworks: frameworks))
    }
}
