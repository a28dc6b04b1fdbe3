public import FoundationEssentials

/// A call from a framework's scheduler to the master (Mesos v1 scheduler `Call`).
///
/// Every ``SchedulerDriver`` method sends exactly one of these, so the
/// in-process and HTTP transports behave the same. Durations travel as
/// numbers of seconds (`…Seconds` fields), bytes as base64 strings.
///
/// JSON: `{"frameworkID": "f-1", "kind": {"decline": {"offerIDs": ["o-1"], "filters": {"refuseSeconds": 5}}}}`.
public struct SchedulerCall: Hashable, Sendable, Codable {
    /// The calling framework; `nil` only in a first `subscribe`.
    public var frameworkID: FrameworkID?
    /// What is asked.
    public var kind: Kind

    /// Creates a call.
    public init(frameworkID: FrameworkID?, _ kind: Kind) {
        self.frameworkID = frameworkID
        self.kind = kind
    }

    /// The kinds of scheduler call.
    public enum Kind: Hashable, Sendable, Codable {
        /// Register the framework, or re-register it (with `framework.id` set) after a failover.
        case subscribe(framework: FrameworkInfo)
        /// Unregister the framework: all its tasks are killed and it cannot re-subscribe.
        case teardown
        /// Use offers: carry out the operations, return the rest to the pool with `filters`.
        case accept(offerIDs: [OfferID], operations: [OfferOperation], filters: Filters)
        /// Return offers to the pool, not to be re-offered to this framework for `filters.refuse`.
        case decline(offerIDs: [OfferID], filters: Filters)
        /// Clear the framework's filters and resume offers for `roles` (all roles when empty).
        case revive(roles: [Role])
        /// Stop offers for `roles` (all roles when empty) until the next revive.
        case suppress(roles: [Role])
        /// Kill a task; `gracePeriodSeconds` overrides the task's kill grace period.
        case kill(taskID: TaskID, agentID: AgentID?, gracePeriodSeconds: Double?)
        /// Shut down a custom executor and all its tasks.
        case shutdown(executorID: ExecutorID, agentID: AgentID)
        /// Acknowledge a status update, so the agent stops resending it.
        case acknowledge(agentID: AgentID, taskID: TaskID, uuid: UUID)
        /// Ask for the latest state of these tasks, or of all the framework's tasks when empty.
        case reconcile(tasks: [ReconcileTask])
        /// Send opaque bytes to a custom executor.
        case message(agentID: AgentID, executorID: ExecutorID, data: Data)
        /// Declare demand (used by allocators that preempt, such as the priority allocator).
        case request(requests: [ResourceRequest])
    }
}

/// An event from the master to a framework's scheduler (Mesos v1 scheduler `Event`).
///
/// Carries the sending master's ``LeaderEpoch``; a driver drops events older
/// than the newest epoch it has seen, so a deposed leader is fenced.
///
/// JSON: `{"epoch": 3, "kind": {"rescind": {"offerID": "o-1"}}}`.
public struct SchedulerEvent: Hashable, Sendable, Codable {
    /// The epoch of the master that sent the event.
    public var epoch: LeaderEpoch
    /// What happened.
    public var kind: Kind

    /// Creates an event.
    public init(epoch: LeaderEpoch, _ kind: Kind) {
        self.epoch = epoch
        self.kind = kind
    }

    /// The kinds of scheduler event.
    public enum Kind: Hashable, Sendable, Codable {
        /// The subscription succeeded; heartbeats follow every `heartbeatIntervalSeconds`.
        case subscribed(frameworkID: FrameworkID, master: MasterInfo, heartbeatIntervalSeconds: Double)
        /// New offers.
        case offers(offers: [Offer])
        /// An offer is no longer valid (agent lost, offer timeout, preemption).
        case rescind(offerID: OfferID)
        /// A task status update; acknowledge it if it has a `uuid`.
        case update(status: TaskStatus)
        /// Opaque bytes from a custom executor.
        case message(agentID: AgentID, executorID: ExecutorID, data: Data)
        /// An agent was lost (`executorID` nil), or an executor exited with `status`.
        case failure(agentID: AgentID?, executorID: ExecutorID?, status: Int32?)
        /// The master refuses the framework (failed over by a newer subscription, torn down,
        /// invalid subscription); the scheduler is disconnected.
        case error(message: String)
        /// A call was rejected; the message names what is wrong.
        case callRejected(call: String, message: String)
        /// Sent periodically so the scheduler can detect a dead connection.
        case heartbeat
    }
}
