import FoundationEssentials
import RoostAllocators
import RoostCore

extension MasterState {
    /// An update the master writes itself (validation errors, reconciliation answers, agent
    /// loss): needs no acknowledgement, so it carries no UUID. Sent to the framework if connected.
    /// `latest` (the task's latest status, for reconciliation answers) lends it its `healthy`
    /// and `ready`, as Mesos' reconciliation carries `healthy` and `check_status`: executors
    /// report only changes, so a framework that reconciles after a failover learns them here.
    func masterUpdate(
        _ taskID: TaskID, _ state: TaskState, reason: TaskStatus.Reason?, message: String?, agentID: AgentID?,
        latest: TaskStatus? = nil, for framework: FrameworkID, now: Duration
    ) -> [MasterOutput] {
        guard let connection = frameworks[framework]?.connection else { return [] }
        let status = TaskStatus(
            taskID: taskID, state: state, reason: reason, message: message, source: .master, agentID: agentID,
            timestamp: wallClockAtOrigin.advanced(by: now), healthy: latest?.healthy, ready: latest?.ready)
        return [.scheduler(connection, .update(status: status))]
    }

    /// Keeps a finished task in the framework's bounded list of completed tasks.
    mutating func complete(_ task: MasterTask, of framework: FrameworkID) {
        let limit = configuration.maxCompletedTasksPerFramework
        frameworks[framework]?.completed.append(task)
        if let count = frameworks[framework]?.completed.count, count > limit {
            frameworks[framework]?.completed.removeFirst(count - limit)
        }
    }

    /// Kills a task; a task the master does not know is answered as reconciliation would.
    mutating func kill(_ taskID: TaskID, agentID: AgentID?, gracePeriodSeconds: Double?, of framework: FrameworkID, now: Duration) -> [MasterOutput] {
        guard let task = frameworks[framework]?.tasks[taskID], !task.state.isTerminal else {
            return reconcile([ReconcileTask(taskID: taskID, agentID: agentID)], of: framework, now: now)
        }
        guard agents[task.agentID]?.reachable == true else { return [] }
        return [.agent(task.agentID, .killTask(frameworkID: framework, taskID: taskID, gracePeriodSeconds: gracePeriodSeconds))]
    }

    /// Forwards an acknowledgement to the agent (idempotent); a task whose terminal update is
    /// acknowledged moves to the framework's completed tasks.
    mutating func acknowledge(_ taskID: TaskID, uuid: UUID, agentID: AgentID, of framework: FrameworkID) -> [MasterOutput] {
        if let task = frameworks[framework]?.tasks[taskID], task.state.isTerminal, task.latestStatus?.uuid == uuid {
            frameworks[framework]?.tasks[taskID] = nil
            complete(task, of: framework)
        }
        guard agents[agentID] != nil else { return [] }
        return [.agent(agentID, .acknowledge(frameworkID: framework, taskID: taskID, uuid: uuid))]
    }

    /// Answers reconciliation with the master's latest knowledge (Mesos' rules).
    ///
    /// A known task is answered with its latest state, message, `healthy` and `ready`.
    /// Implicit (no tasks named): the latest state of every task the framework has that is not
    /// yet acknowledged as finished. Explicit: for each task, its latest state if known;
    /// otherwise `TASK_UNREACHABLE` if its agent is unreachable, `TASK_GONE` if the agent is
    /// registered (the task is not there), `TASK_UNKNOWN` if the agent is unknown —
    /// `TASK_LOST` instead of the last three for frameworks that are not partition-aware.
    mutating func reconcile(_ tasks: [ReconcileTask], of framework: FrameworkID, now: Duration) -> [MasterOutput] {
        guard let entry = frameworks[framework] else { return [] }
        var outputs: [MasterOutput] = []
        let named = tasks.isEmpty ? entry.tasks.values.sorted { $0.info.id < $1.info.id }.map { ReconcileTask(taskID: $0.info.id, agentID: $0.agentID) } : tasks
        for request in named {
            if let task = entry.tasks[request.taskID] {
                outputs += masterUpdate(task.info.id, task.state, reason: .reconciliation, message: task.latestStatus?.message, agentID: task.agentID,
                    latest: task.latestStatus, for: framework, now: now)
                continue
            }
            if let done = entry.completed.last(where: { $0.info.id == request.taskID }) {
                outputs += masterUpdate(done.info.id, done.state, reason: .reconciliation, message: done.latestStatus?.message, agentID: done.agentID,
                    latest: done.latestStatus, for: framework, now: now)
                continue
            }
            let state: TaskState
            switch request.agentID.flatMap({ agents[$0] }) {
            case .some(let agent) where !agent.reachable: state = entry.isPartitionAware ? .unreachable : .lost
            case .some: state = entry.isPartitionAware ? .gone : .lost
            case .none: state = entry.isPartitionAware ? .unknown : .lost
            }
            outputs += masterUpdate(request.taskID, state, reason: .reconciliation, message: "the master does not know this task", agentID: request.agentID, for: framework, now: now)
        }
        return outputs
    }

    /// Applies a status update from an agent and forwards it to the framework.
    ///
    /// An update that is illegal for the task's current state (say RUNNING after FINISHED)
    /// is not applied; the master acknowledges it to the agent itself so it stops resending,
    /// and the framework never sees it. A terminal update returns the task's resources.
    mutating func statusUpdate(_ status: TaskStatus, of framework: FrameworkID, from agentID: AgentID, now: Duration) -> [MasterOutput] {
        guard frameworks[framework] != nil else {
            // The framework is gone: the agent should stop running its tasks.
            return [.agent(agentID, .shutdownFramework(frameworkID: framework))]
        }
        var outputs: [MasterOutput] = []
        if var task = frameworks[framework]?.tasks[status.taskID] {
            guard task.agentID == agentID else { return [] }
            if !task.state.canTransition(to: status.state), !(task.state == status.state && task.state.isTerminal) {
                if let uuid = status.uuid {
                    outputs.append(.agent(agentID, .acknowledge(frameworkID: framework, taskID: status.taskID, uuid: uuid)))
                }
                return outputs
            }
            let wasHolding = task.state.holdsResources
            task.state = status.state
            task.latestStatus = status
            frameworks[framework]?.tasks[status.taskID] = task
            if wasHolding, status.state.isTerminal {
                engine.taskEnded(task.info.id, of: framework)
                try? engine.recover(task.info.resources, of: framework, role: task.role, on: agentID, now: now)
            }
        }
        if let connection = frameworks[framework]?.connection {
            outputs.append(.scheduler(connection, .update(status: status)))
        }
        return outputs
    }
}
