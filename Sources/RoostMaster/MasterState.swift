import DequeModule
public import RoostAllocators
public import RoostCore

/// The master's bookkeeping as a pure state machine: frameworks, agents, offers and tasks.
///
/// It is fed scheduler calls, agent messages and clock ticks, each with a
/// `now` (a monotonic time since an origin the owner chooses), and returns
/// ``MasterOutput``s: what to send to which scheduler connection or agent. It
/// does no I/O, reads no clock and never sleeps, so tests and the simulator
/// drive it directly; the `Master` actor around it does the sending, and only
/// while it leads.
public struct MasterState: Sendable {
    /// The master's timing and limits, with Mesos' defaults.
    public struct Configuration: Sendable {
        /// Time between allocation cycles. Default 1 s (Mesos `--allocation_interval`).
        public var allocationInterval: Duration
        /// Offers not answered within this time are rescinded. Default none (Mesos `--offer_timeout`).
        public var offerTimeout: Duration?
        /// Time between pings to each agent. Default 15 s (Mesos `--agent_ping_timeout`).
        public var agentPingTimeout: Duration
        /// Pings an agent may miss in a row before it is marked unreachable. Default 5
        /// (Mesos `--max_agent_ping_timeouts`).
        public var maxAgentPingTimeouts: Int
        /// How often schedulers get a heartbeat event. Default 15 s (Mesos' scheduler API).
        public var heartbeatInterval: Duration
        /// How many finished tasks per framework the state snapshot keeps. Default 1,000
        /// (Mesos `--max_completed_tasks_per_framework`).
        public var maxCompletedTasksPerFramework: Int

        /// Creates a configuration with Mesos' defaults for anything not given.
        public init(
            allocationInterval: Duration = .seconds(1),
            offerTimeout: Duration? = nil,
            agentPingTimeout: Duration = .seconds(15),
            maxAgentPingTimeouts: Int = 5,
            heartbeatInterval: Duration = .seconds(15),
            maxCompletedTasksPerFramework: Int = 1000
        ) {
            self.allocationInterval = allocationInterval
            self.offerTimeout = offerTimeout
            self.agentPingTimeout = agentPingTimeout
            self.maxAgentPingTimeouts = maxAgentPingTimeouts
            self.heartbeatInterval = heartbeatInterval
            self.maxCompletedTasksPerFramework = maxCompletedTasksPerFramework
        }
    }

    /// A framework as the master tracks it.
    struct FrameworkEntry: Sendable {
        var info: FrameworkInfo
        var connection: ConnectionID?
        var disconnectedAt: Duration?
        var tasks: [TaskID: MasterTask] = [:]
        /// Terminal tasks whose last update was acknowledged, newest last.
        var completed = Deque<MasterTask>()
        var offers: Set<OfferID> = []
        var isPartitionAware: Bool { info.capabilities.contains(.partitionAware) }
    }

    /// An agent as the master tracks it.
    struct AgentEntry: Sendable {
        var info: AgentInfo
        var reachable = true
        var missedPings = 0
        var awaitingPong = false
    }

    struct OfferEntry: Sendable {
        var offer: Offer
        var role: Role
        var createdAt: Duration
    }

    /// Who this master is.
    public let master: MasterInfo
    /// The wall-clock time at the origin of `now`, for timestamps on updates the master writes.
    public let wallClockAtOrigin: Timestamp
    /// Its settings.
    public let configuration: Configuration
    var engine: AllocationEngine
    var frameworks: [FrameworkID: FrameworkEntry] = [:]
    var connections: [ConnectionID: FrameworkID] = [:]
    /// Frameworks torn down or timed out: they may not subscribe again with the same ID.
    var removedFrameworks: Set<FrameworkID> = []
    var agents: [AgentID: AgentEntry] = [:]
    var offers: [OfferID: OfferEntry] = [:]
    var counters = (frameworks: 0, agents: 0, offers: 0)
    var lastAllocation: Duration?
    var lastPing: Duration?
    var lastHeartbeat: Duration?

    /// Creates an empty master that allocates with `policy`.
    ///
    /// `wallClockAtOrigin` is the wall-clock time when `now` was zero; the master adds `now`
    /// to it to timestamp the status updates it writes itself.
    public init(master: MasterInfo, policy: any AllocatorPolicy, wallClockAtOrigin: Timestamp, configuration: Configuration = Configuration(), allocation: AllocationEngine.Configuration = .init()) {
        self.master = master
        self.wallClockAtOrigin = wallClockAtOrigin
        self.configuration = configuration
        engine = AllocationEngine(policy: policy, configuration: allocation)
    }

    // MARK: Scheduler calls

    /// Handles one call from a scheduler connection.
    ///
    /// - Throws: ``SchedulerDriverError`` when the call is refused; nothing changed then.
    ///   `notSubscribed` for a connection that has not subscribed (or a framework ID that is
    ///   not the connection's), `failedOver` for a removed framework, `unknownOffer` for an
    ///   accept naming an offer that is unknown, rescinded or another framework's, and
    ///   `invalidCall` for a malformed call, with a message naming the field.
    public mutating func handle(_ call: SchedulerCall, from connection: ConnectionID, now: Duration) throws(SchedulerDriverError) -> [MasterOutput] {
        if case .subscribe(let info) = call.kind {
            return try subscribe(info, connection: connection, now: now)
        }
        guard let framework = connections[connection] else {
            throw SchedulerDriverError(.notSubscribed, "this connection has not subscribed; send SUBSCRIBE first")
        }
        if let claimed = call.frameworkID, claimed != framework {
            throw SchedulerDriverError(.notSubscribed, "this connection is subscribed as framework \(framework), not \(claimed)")
        }
        switch call.kind {
        case .subscribe:
            return []
        case .teardown:
            return removeFramework(framework, reason: "torn down by its scheduler", notify: false, now: now)
        case .accept(let offerIDs, let operations, let filters):
            return try accept(offerIDs, operations: operations, filters: filters, by: framework, now: now)
        case .decline(let offerIDs, let filters):
            return decline(offerIDs, filters: filters, by: framework, now: now)
        case .revive(let roles):
            try mapAllocationError { () throws(AllocationError) in try engine.revive(framework, roles: roles) }
            return []
        case .suppress(let roles):
            try mapAllocationError { () throws(AllocationError) in try engine.suppress(framework, roles: roles) }
            return []
        case .kill(let taskID, let agentID, let grace):
            return kill(taskID, agentID: agentID, gracePeriodSeconds: grace, of: framework, now: now)
        case .shutdown(let executorID, let agentID):
            guard agents[agentID] != nil else { throw SchedulerDriverError(.invalidCall, "shutdown: agent \(agentID) is not registered") }
            return [.agent(agentID, .shutdownExecutor(frameworkID: framework, executorID: executorID))]
        case .acknowledge(let agentID, let taskID, let uuid):
            return acknowledge(taskID, uuid: uuid, agentID: agentID, of: framework)
        case .reconcile(let tasks):
            return reconcile(tasks, of: framework, now: now)
        case .message(let agentID, let executorID, let data):
            guard agents[agentID] != nil else { throw SchedulerDriverError(.invalidCall, "message: agent \(agentID) is not registered") }
            return [.agent(agentID, .message(frameworkID: framework, executorID: executorID, data: data))]
        case .request(let requests):
            try mapAllocationError { () throws(AllocationError) in try engine.request(requests, by: framework) }
            return []
        }
    }

    /// A scheduler connection went away: its framework's offers are rescinded and, unless
    /// it re-subscribes within its failover timeout, the framework is removed.
    public mutating func schedulerDisconnected(_ connection: ConnectionID, now: Duration) -> [MasterOutput] {
        guard let framework = connections.removeValue(forKey: connection), var entry = frameworks[framework] else { return [] }
        entry.connection = nil
        entry.disconnectedAt = now
        frameworks[framework] = entry
        var outputs = rescindOffers(of: framework, now: now)
        try? engine.suppress(framework)
        if entry.info.failoverTimeout <= .zero {
            outputs += removeFramework(framework, reason: "its scheduler disconnected and its failover timeout is 0", now: now)
        }
        return outputs
    }

    private mutating func subscribe(_ info: FrameworkInfo, connection: ConnectionID, now: Duration) throws(SchedulerDriverError) -> [MasterOutput] {
        do { try info.validate() } catch { throw SchedulerDriverError(.invalidCall, "subscribe: \(error)") }
        var outputs: [MasterOutput] = []
        let id: FrameworkID
        if let requested = info.id {
            if removedFrameworks.contains(requested) {
                throw SchedulerDriverError(.failedOver, "framework \(requested) was removed (torn down or its failover timeout passed); subscribe without an ID to start anew")
            }
            id = requested
        } else {
            counters.frameworks += 1
            id = FrameworkID("\(master.id)-\(String(counters.frameworks).leftPadded(to: 4))")
        }
        var stored = info
        stored.id = id
        if var entry = frameworks[id] {
            // Failover: a new scheduler takes over the framework, the old connection is fenced.
            if let old = entry.connection, old != connection {
                outputs.append(.scheduler(old, .error(message: "framework failed over: another scheduler subscribed as \(id)")))
                outputs.append(.closeScheduler(old))
                connections[old] = nil
            }
            outputs += rescindOffers(of: id, now: now)
            entry.info = stored
            entry.connection = connection
            entry.disconnectedAt = nil
            frameworks[id] = entry
            try? engine.updateFramework(id, info: stored)
            try? engine.revive(id)
        } else {
            frameworks[id] = FrameworkEntry(info: stored, connection: connection)
            do { try engine.addFramework(id, info: stored) } catch {
                frameworks[id] = nil
                throw SchedulerDriverError(.invalidCall, "subscribe: \(error.message)")
            }
        }
        connections[connection] = id
        outputs.append(.scheduler(connection, .subscribed(frameworkID: id, master: master, heartbeatIntervalSeconds: configuration.heartbeatInterval.seconds)))
        return outputs
    }

    /// Removes a framework for good: its offers are rescinded, its tasks killed on their agents
    /// and recorded as killed, and its ID may not subscribe again.
    /// With `notify`, a connected scheduler is told why before its connection is closed (a
    /// scheduler that tore itself down needs no explanation).
    mutating func removeFramework(_ framework: FrameworkID, reason: String, notify: Bool = true, now: Duration) -> [MasterOutput] {
        guard let entry = frameworks[framework] else { return [] }
        var outputs = rescindOffers(of: framework, now: now)
        if let connection = entry.connection {
            if notify { outputs.append(.scheduler(connection, .error(message: "framework \(framework) removed: \(reason)"))) }
            outputs.append(.closeScheduler(connection))
            connections[connection] = nil
        }
        let agentsWithTasks = Set(entry.tasks.values.map(\.agentID))
        for agent in agentsWithTasks.sorted() where agents[agent] != nil {
            outputs.append(.agent(agent, .shutdownFramework(frameworkID: framework)))
        }
        engine.removeFramework(framework)
        frameworks[framework] = nil
        removedFrameworks.insert(framework)
        return outputs
    }

    // MARK: Ticks

    /// Advances time: pings agents and marks silent ones unreachable, sends heartbeats,
    /// rescinds timed-out offers, removes frameworks whose failover timeout passed, and runs
    /// an allocation cycle when one is due (or when `allocateNow` asks for one at once, after
    /// resources were freed or a framework revived).
    public mutating func tick(now: Duration, allocateNow: Bool = false) -> [MasterOutput] {
        var outputs: [MasterOutput] = []
        outputs += checkAgents(now: now)
        if lastHeartbeat.map({ now - $0 >= configuration.heartbeatInterval }) ?? true {
            lastHeartbeat = now
            for (connection, _) in connections.sorted(by: { $0.key < $1.key }) {
                outputs.append(.scheduler(connection, .heartbeat))
            }
        }
        if let timeout = configuration.offerTimeout {
            let expired = offers.values.filter { now - $0.createdAt >= timeout }.map(\.offer.id).sorted()
            for id in expired { outputs += rescind(id, filter: nil, now: now) }
        }
        let timedOut = frameworks.filter { _, entry in
            entry.disconnectedAt.map { now - $0 >= entry.info.failoverTimeout } ?? false
        }.keys.sorted()
        for framework in timedOut {
            outputs += removeFramework(framework, reason: "its failover timeout passed", now: now)
        }
        if allocateNow || lastAllocation.map({ now - $0 >= configuration.allocationInterval }) ?? true {
            lastAllocation = now
            outputs += allocate(now: now)
        }
        return outputs
    }

    /// Whether an allocation now could offer anyone anything (see
    /// ``AllocationEngine/canOfferAnything``): freed resources are worth a prompt cycle only then.
    public var allocationHasTakers: Bool { engine.canOfferAnything }

    /// When the next tick has work to do on its own (an allocation, ping or heartbeat).
    public func nextTick(after now: Duration) -> Duration {
        var next = (lastAllocation ?? now) + configuration.allocationInterval
        next = min(next, (lastPing ?? now) + configuration.agentPingTimeout)
        next = min(next, (lastHeartbeat ?? now) + configuration.heartbeatInterval)
        return max(next, now)
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

func mapAllocationError(_ body: () throws(AllocationError) -> Void) throws(SchedulerDriverError) {
    do { try body() } catch {
        throw SchedulerDriverError(.invalidCall, error.message)
    }
}
