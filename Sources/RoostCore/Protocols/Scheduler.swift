public import FoundationEssentials

/// A framework's brain: decides what to run on the resources the master offers.
///
/// The runtime calls one framework's scheduler methods one at a time, in the
/// order the events happened, never concurrently, so an `actor` is the natural
/// conformer. Every method has a default implementation that does nothing
/// (``statusUpdate(_:status:)``'s default is also nothing: the driver
/// acknowledges updates itself), so a scheduler implements only what it needs.
///
/// A method that throws stops the framework: the driver reports the error to
/// whoever runs it and unsubscribes without failover, as a Mesos scheduler
/// driver aborts on an exception in a callback.
public protocol Scheduler: Sendable {
    /// The framework subscribed for the first time and was given `frameworkID`.
    func registered(_ driver: any SchedulerDriver, frameworkID: FrameworkID, master: MasterInfo) async throws
    /// The framework re-subscribed (after a scheduler or master failover) under its existing ID.
    ///
    /// The driver starts an implicit reconciliation right after this returns.
    func reregistered(_ driver: any SchedulerDriver, master: MasterInfo) async throws
    /// New offers. Accept or decline each; an offer neither accepted nor declined stays
    /// with this framework until it is rescinded.
    func resourceOffers(_ driver: any SchedulerDriver, offers: [Offer]) async throws
    /// An offer is no longer valid; launching on it would fail.
    func offerRescinded(_ driver: any SchedulerDriver, offerID: OfferID) async throws
    /// A task changed state. The driver acknowledges the update after this returns normally.
    func statusUpdate(_ driver: any SchedulerDriver, status: TaskStatus) async throws
    /// Opaque bytes from one of the framework's custom executors.
    func frameworkMessage(_ driver: any SchedulerDriver, agentID: AgentID, executorID: ExecutorID, data: Data) async throws
    /// An agent was lost; updates for its tasks follow.
    func agentLost(_ driver: any SchedulerDriver, agentID: AgentID) async throws
    /// A custom executor exited with `status` (its wait status, when known).
    func executorLost(_ driver: any SchedulerDriver, executorID: ExecutorID, agentID: AgentID, status: Int32?) async throws
    /// The connection to the master is gone; the driver reconnects on its own and
    /// calls ``reregistered(_:master:)`` when it succeeds.
    func disconnected(_ driver: any SchedulerDriver) async throws
    /// The master refused the framework (failed over by a newer subscription, torn down);
    /// the driver has stopped.
    func error(_ driver: any SchedulerDriver, message: String) async
}

extension Scheduler {
    /// Default: does nothing.
    public func registered(_ driver: any SchedulerDriver, frameworkID: FrameworkID, master: MasterInfo) async throws {}
    /// Default: does nothing.
    public func reregistered(_ driver: any SchedulerDriver, master: MasterInfo) async throws {}
    /// Default: does nothing.
    public func resourceOffers(_ driver: any SchedulerDriver, offers: [Offer]) async throws {}
    /// Default: does nothing.
    public func offerRescinded(_ driver: any SchedulerDriver, offerID: OfferID) async throws {}
    /// Default: does nothing.
    public func statusUpdate(_ driver: any SchedulerDriver, status: TaskStatus) async throws {}
    /// Default: does nothing.
    public func frameworkMessage(_ driver: any SchedulerDriver, agentID: AgentID, executorID: ExecutorID, data: Data) async throws {}
    /// Default: does nothing.
    public func agentLost(_ driver: any SchedulerDriver, agentID: AgentID) async throws {}
    /// Default: does nothing.
    public func executorLost(_ driver: any SchedulerDriver, executorID: ExecutorID, agentID: AgentID, status: Int32?) async throws {}
    /// Default: does nothing.
    public func disconnected(_ driver: any SchedulerDriver) async throws {}
    /// Default: does nothing.
    public func error(_ driver: any SchedulerDriver, message: String) async {}
}

/// What a scheduler may do: the only way a framework acts on the cluster.
///
/// A transport implements two requirements: ``send(_:)`` carries one
/// ``SchedulerCall`` to the master and ``stop(failover:)`` ends the
/// subscription. Every named method below is a thin wrapper that sends exactly
/// one call, so the in-process and HTTP transports behave the same.
///
/// Methods may be called from any task, including from inside scheduler
/// callbacks. They throw ``SchedulerDriverError`` when the master rejects the
/// call (unknown offer, not subscribed, not the leader) or the driver is stopped.
public protocol SchedulerDriver: Sendable {
    /// The framework's ID once subscribed, `nil` before.
    var frameworkID: FrameworkID? { get async }
    /// Sends one call to the master and waits until the master has accepted or rejected it.
    /// - Throws: ``SchedulerDriverError`` with the master's reason.
    func send(_ call: SchedulerCall.Kind) async throws(SchedulerDriverError)
    /// Ends the subscription. With `failover`, the framework's tasks keep running for its
    /// failover timeout so a new scheduler can take over; without, the framework is torn down.
    func stop(failover: Bool) async
}

extension SchedulerDriver {
    /// Launches `tasks` on one offer; whatever the tasks do not use returns to the pool with `filters`.
    ///
    /// Tasks without an `agentID` get the offer's. Launching no tasks declines the offer.
    public func launch(_ tasks: [TaskInfo], on offer: Offer, filters: Filters = .default) async throws(SchedulerDriverError) {
        try await launch(tasks, on: [offer], filters: filters)
    }

    /// Launches `tasks` on several offers from the same agent, used together.
    public func launch(_ tasks: [TaskInfo], on offers: [Offer], filters: Filters = .default) async throws(SchedulerDriverError) {
        guard let agentID = offers.first?.agentID else {
            throw SchedulerDriverError(.invalidCall, "launch needs at least one offer")
        }
        let placed = tasks.map { task in
            var task = task
            if task.agentID == nil { task.agentID = agentID }
            return task
        }
        let operations: [OfferOperation] = placed.isEmpty ? [] : [.launch(tasks: placed)]
        try await send(.accept(offerIDs: offers.map(\.id), operations: operations, filters: filters))
    }

    /// Accepts offers with any operations (launch, reserve, unreserve).
    public func accept(_ offerIDs: [OfferID], operations: [OfferOperation], filters: Filters = .default) async throws(SchedulerDriverError) {
        try await send(.accept(offerIDs: offerIDs, operations: operations, filters: filters))
    }

    /// Declines offers; their resources are not re-offered to this framework for `filters.refuse`.
    public func decline(_ offerIDs: [OfferID], filters: Filters = .default) async throws(SchedulerDriverError) {
        try await send(.decline(offerIDs: offerIDs, filters: filters))
    }

    /// Clears this framework's filters and resumes offers for `roles` (all roles when empty).
    public func revive(roles: [Role] = []) async throws(SchedulerDriverError) {
        try await send(.revive(roles: roles))
    }

    /// Stops offers for `roles` (all roles when empty) until ``revive(roles:)``.
    public func suppress(roles: [Role] = []) async throws(SchedulerDriverError) {
        try await send(.suppress(roles: roles))
    }

    /// Kills a task; `gracePeriod` overrides the task's own kill grace period.
    public func kill(_ taskID: TaskID, agentID: AgentID? = nil, gracePeriod: Duration? = nil) async throws(SchedulerDriverError) {
        try await send(.kill(taskID: taskID, agentID: agentID, gracePeriodSeconds: gracePeriod?.seconds))
    }

    /// Acknowledges a status update. Updates without a `uuid` or agent need none, and this does nothing.
    ///
    /// The driver acknowledges updates after ``Scheduler/statusUpdate(_:status:)`` returns;
    /// call this only when you turned automatic acknowledgement off.
    public func acknowledge(_ status: TaskStatus) async throws(SchedulerDriverError) {
        guard let uuid = status.uuid, let agentID = status.agentID else { return }
        try await send(.acknowledge(agentID: agentID, taskID: status.taskID, uuid: uuid))
    }

    /// Asks for the latest state of `tasks`, or of all the framework's tasks when empty
    /// (implicit reconciliation). Answers arrive as status updates.
    public func reconcile(_ tasks: [ReconcileTask] = []) async throws(SchedulerDriverError) {
        try await send(.reconcile(tasks: tasks))
    }

    /// Sends opaque bytes to a custom executor.
    public func sendMessage(_ data: Data, to executorID: ExecutorID, on agentID: AgentID) async throws(SchedulerDriverError) {
        try await send(.message(agentID: agentID, executorID: executorID, data: data))
    }

    /// Declares demand, for allocators that act on it (the priority allocator preempts to meet it).
    public func request(_ requests: [ResourceRequest]) async throws(SchedulerDriverError) {
        try await send(.request(requests: requests))
    }

    /// Shuts down a custom executor and its tasks.
    public func shutdown(executor executorID: ExecutorID, on agentID: AgentID) async throws(SchedulerDriverError) {
        try await send(.shutdown(executorID: executorID, agentID: agentID))
    }

    /// Unregisters the framework for good: all its tasks are killed.
    public func teardown() async throws(SchedulerDriverError) {
        try await send(.teardown)
    }
}

/// Why the master or the driver refused a scheduler call.
public struct SchedulerDriverError: CodedError, Hashable, Sendable {
    /// What kind of refusal this is.
    public var code: ErrorCode<SchedulerDriverError>
    /// What was wrong, naming the offending field or ID.
    public var message: String

    /// Creates an error.
    public init(_ code: ErrorCode<SchedulerDriverError>, _ message: String) {
        self.code = code
        self.message = message
    }

}

extension ErrorCode where Domain == SchedulerDriverError {
    /// The framework has not subscribed yet, or was torn down.
    public static var notSubscribed: Self { Self("notSubscribed") }
    /// An offer is unknown, stale, rescinded or another framework's.
    public static var unknownOffer: Self { Self("unknownOffer") }
    /// The master is not (or no longer) the leader.
    public static var notLeader: Self { Self("notLeader") }
    /// The call is malformed or invalid; the message names the field.
    public static var invalidCall: Self { Self("invalidCall") }
    /// Another scheduler subscribed as this framework; this one is fenced.
    public static var failedOver: Self { Self("failedOver") }
    /// The driver was stopped.
    public static var stopped: Self { Self("stopped") }
    /// The master cannot be reached right now.
    public static var disconnected: Self { Self("disconnected") }
}
