import FoundationEssentials
import DequeModule
import HeapModule
public import RoostAllocators
public import RoostCore
public import RoostMaster

/// A whole Roost cluster in one actor, on virtual time: the real master state machine
/// (``MasterState``, not a re-implementation) with simulated agents whose tasks run
/// in-process, following a ``TaskBehavior``.
///
/// Time moves only when the test says so (``advance(by:)``, ``run(until:)``,
/// ``runUntilIdle(limit:)``), so a day of schedule or hours of back-off take milliseconds
/// and happen the same way every run. Schedulers are real ``Scheduler`` values connected
/// with ``connect(_:as:)``; their callbacks run one at a time, and the calls they make on
/// their driver take effect at once, in order.
///
/// ```swift
/// let cluster = SimulatedCluster(configuration: .init(behavior: { _, _ in .finish(after: .seconds(30)) }))
/// await cluster.addAgents(3, resources: "cpus:4;mem:8192")
/// let driver = try await cluster.connect(MyScheduler(), as: FrameworkInfo(name: "mine"))
/// try await cluster.advance(by: .minutes(5))
/// #expect(await cluster.tasks(of: driver.frameworkID, in: .finished).count == 10)
/// ```
///
/// **Determinism.** Everything the cluster does is ordered by virtual time, then by the
/// order it was scheduled. A scheduler that does work outside its callbacks (its own timer
/// task) makes its calls whenever that task runs; for deterministic timers, schedule them
/// with ``at(_:perform:)``.
///
/// **Faults.** ``killTask(_:of:)``, ``partitionAgent(_:)`` and ``healAgent(_:)``,
/// ``restartAgent(_:)``, ``disconnect(_:)`` (a scheduler failover: connect again with the
/// framework ID), ``failoverMaster()``, ``dropStatusUpdates(_:)`` and ``delayStatusUpdates(by:)``.
public actor SimulatedCluster {
    /// How the cluster is set up.
    public struct Configuration: Sendable {
        /// Makes the allocation policy. Default: ``DRFAllocator`` with default settings.
        public var policy: @Sendable () -> any AllocatorPolicy
        /// The master's timers (allocation interval, ping timeout, offer timeout, …).
        public var master: MasterState.Configuration
        /// The allocation engine's settings.
        public var allocation: AllocationEngine.Configuration
        /// What each launched task does; `nil` takes ``defaultBehavior``.
        public var behavior: @Sendable (FrameworkID, TaskInfo) -> TaskBehavior?
        /// The behaviour of tasks ``behavior`` says nothing about. Default: finish after 1 s.
        public var defaultBehavior: TaskBehavior
        /// How long a simulated agent waits for an acknowledgement before resending a status
        /// update. Default 10 s, Mesos' agent (`--status_update_retry_interval_min`... the
        /// agent's first retry is after 10 s).
        public var statusUpdateRetry: Duration

        /// A configuration; see each property for its default.
        public init(
            policy: @escaping @Sendable () -> any AllocatorPolicy = { DRFAllocator() },
            master: MasterState.Configuration = .init(),
            allocation: AllocationEngine.Configuration = .init(),
            behavior: @escaping @Sendable (FrameworkID, TaskInfo) -> TaskBehavior? = { _, _ in nil },
            defaultBehavior: TaskBehavior = .finish(after: .seconds(1)),
            statusUpdateRetry: Duration = .seconds(10)
        ) {
            self.policy = policy
            self.master = master
            self.allocation = allocation
            self.behavior = behavior
            self.defaultBehavior = defaultBehavior
            self.statusUpdateRetry = statusUpdateRetry
        }
    }

    /// The cluster's virtual clock: read it for the current time; hand it (or a
    /// `Stopwatch` on it) to schedulers that need a clock.
    public nonisolated let clock: ManualClock
    /// The configuration the cluster was made with.
    public nonisolated let configuration: Configuration

    var master: MasterState
    var agents: [AgentID: SimulatedAgent] = [:]
    var agentOrder: [AgentID] = []
    /// Where each task a simulated agent knows runs (the latest launch of its ID).
    var taskLocations: [TaskKey: AgentID] = [:]
    var connections: [ConnectionID: Connection] = [:]
    private var nextConnection: UInt64 = 0
    private var events = Heap<TimedEvent>()
    private var nextSequence: UInt64 = 0
    private var runs: UInt64 = 0
    /// How many masters have led; the current one is `simulated-master-<n>`.
    var masterGeneration: UInt64 = 1
    private var uuids: UInt64 = 0
    private var outbox = Deque<MasterOutput>()
    private var isDraining = false
    private var allocationDue = false
    private var callbacks: [UInt64: @Sendable () async -> Void] = [:]
    var statusFilter = StatusFilter()
    /// What happened, for assertions: offers and declines per framework, preemptions.
    var counters: [FrameworkID: FrameworkCounters] = [:]

    /// A cluster with no agents and no frameworks at virtual time zero.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        clock = ManualClock()
        let info = MasterInfo(id: "simulated-master-1", hostname: "simulated", port: 0)
        master = MasterState(
            master: info, policy: configuration.policy(), wallClockAtOrigin: Timestamp(secondsSinceEpoch: 0),
            configuration: configuration.master, allocation: configuration.allocation)
    }

    /// Virtual time since the cluster was made.
    public var now: Duration { clock.now.offset }

    // MARK: Agents

    /// Adds one agent and registers it with the master; returns the ID the master gave it.
    @discardableResult
    public func addAgent(hostname: String? = nil, resources: Resources, attributes: [String: String] = [:]) async -> AgentID {
        let index = agentOrder.count + 1
        let info = AgentInfo(hostname: hostname ?? "agent-\(index)", resources: resources, attributes: attributes)
        let outputs = master.handle(AgentCall(agentID: nil, .register(agent: info)), now: now)
        var assigned: AgentID?
        for case .agent(let id, .registered) in outputs { assigned = id }
        guard let id = assigned else { preconditionFailure("the master did not register a valid agent") }
        var registered = info
        registered.id = id
        agents[id] = SimulatedAgent(info: registered)
        agentOrder.append(id)
        allocationDue = true
        await drain()
        return id
    }

    /// Adds `count` identical agents (hostnames `agent-1`, `agent-2`, …); returns their IDs.
    @discardableResult
    public func addAgents(_ count: Int, resources: Resources, attributes: [String: String] = [:]) async -> [AgentID] {
        var ids: [AgentID] = []
        ids.reserveCapacity(count)
        for _ in 0..<count {
            let index = agentOrder.count + 1
            let info = AgentInfo(hostname: "agent-\(index)", resources: resources, attributes: attributes)
            for case .agent(let id, .registered) in master.handle(AgentCall(agentID: nil, .register(agent: info)), now: now) {
                var registered = info
                registered.id = id
                agents[id] = SimulatedAgent(info: registered)
                agentOrder.append(id)
                ids.append(id)
            }
        }
        allocationDue = true
        await drain()
        return ids
    }

    /// Registers several agents (each `AgentInfo`'s hostname, resources and attributes; its
    /// `id` is ignored) and allocates once all are registered, so the first allocation sees
    /// them all; returns their IDs in order.
    @discardableResult
    public func addAgents(_ infos: [AgentInfo]) async -> [AgentID] {
        var ids: [AgentID] = []
        ids.reserveCapacity(infos.count)
        for var info in infos {
            info.id = nil
            for case .agent(let id, .registered) in master.handle(AgentCall(agentID: nil, .register(agent: info)), now: now) {
                var registered = info
                registered.id = id
                agents[id] = SimulatedAgent(info: registered)
                agentOrder.append(id)
                ids.append(id)
            }
        }
        allocationDue = true
        await drain()
        return ids
    }

    // MARK: Frameworks

    /// Subscribes `scheduler` as `framework` (with its ID set, a re-subscription: a scheduler
    /// failover) and delivers the first events; returns its driver.
    /// - Throws: ``SchedulerDriverError`` when the master refuses the subscription.
    @discardableResult
    public func connect(_ scheduler: some Scheduler, as framework: FrameworkInfo) async throws(SchedulerDriverError) -> SimulatedSchedulerDriver {
        nextConnection += 1
        let id = ConnectionID(nextConnection)
        let driver = SimulatedSchedulerDriver(cluster: self, connection: id, frameworkID: framework.id)
        connections[id] = Connection(scheduler: scheduler, driver: driver, subscribedOnce: framework.id != nil, framework: framework)
        let outputs = try master.handle(SchedulerCall(frameworkID: framework.id, .subscribe(framework: framework)), from: id, now: now)
        outbox.append(contentsOf: outputs)
        allocationDue = true
        await drain()
        return driver
    }

    /// Ends a scheduler's connection without tearing the framework down, as a scheduler
    /// process that dies does: its tasks keep running for its failover timeout; connect a
    /// new scheduler with the framework's ID to take over.
    public func disconnect(_ driver: SimulatedSchedulerDriver) async {
        guard connections.removeValue(forKey: driver.connection) != nil else { return }
        outbox.append(contentsOf: master.schedulerDisconnected(driver.connection, now: now))
        await drain()
    }

    /// A call from a scheduler's driver.
    func schedulerCall(_ call: SchedulerCall.Kind, from connection: ConnectionID) async throws(SchedulerDriverError) {
        guard let entry = connections[connection] else {
            throw SchedulerDriverError(.disconnected, "the simulated scheduler connection \(connection) is closed")
        }
        let frameworkID = entry.driver.frameworkID
        let outputs = try master.handle(SchedulerCall(frameworkID: frameworkID, call), from: connection, now: now)
        if let frameworkID {
            switch call {
            case .decline(let offers, _): counters[frameworkID, default: .init()].offersDeclined += offers.count
            case .accept(let offers, let operations, _):
                counters[frameworkID, default: .init()].offersAccepted += offers.count
                for case .launch(let tasks) in operations { counters[frameworkID, default: .init()].tasksLaunched += tasks.count }
            default: break
            }
        }
        switch call {
        case .accept, .decline, .revive, .teardown, .request, .subscribe: allocationDue = true
        default: break
        }
        outbox.append(contentsOf: outputs)
        await drain()
    }

    /// Schedules `work` at virtual time `time` (at once, in the next drive, if it has
    /// passed): deterministic timers for schedulers under test.
    public func at(_ time: Duration, perform work: @escaping @Sendable () async -> Void) {
        let id = schedule(.callback, at: max(time, now))
        callbacks[id] = work
    }

    // MARK: Time

    /// Moves virtual time forward by `duration`, doing everything that falls due on the way.
    public func advance(by duration: Duration) async {
        await run(until: now + max(duration, .zero))
    }

    /// Moves virtual time forward to `time`, doing everything that falls due on the way:
    /// task steps, the master's timers (allocation, pings, timeouts, update retries) and
    /// scheduled callbacks, each at its own instant.
    public func run(until time: Duration) async {
        await drain()
        while true {
            let next = nextEventTime()
            guard next <= time else { break }
            clock.advance(to: ManualClock.Instant(offset: next))
            await fireDueEvents()
        }
        clock.advance(to: ManualClock.Instant(offset: time))
        await drain()
    }

    /// Runs until no task step, update retry, delayed delivery or callback is pending (tasks
    /// that run forever do not count), or until `limit` of virtual time has passed; returns
    /// the virtual time reached.
    @discardableResult
    public func runUntilIdle(limit: Duration = .seconds(86_400)) async -> Duration {
        let end = now + limit
        await drain()
        while let next = events.min?.time, next <= end {
            await run(until: next)
        }
        return now
    }

    private func nextEventTime() -> Duration {
        var next = master.nextTick(after: now)
        if let event = events.min { next = min(next, event.time) }
        if let sleeper = clock.nextDeadline { next = min(next, sleeper.offset) }
        return max(next, now)
    }

    private func fireDueEvents() async {
        while let event = events.min, event.time <= now {
            _ = events.removeMin()
            await handle(event)
        }
        outbox.append(contentsOf: master.tick(now: now, allocateNow: false))
        await drain()
    }

    private func handle(_ event: TimedEvent) async {
        switch event.kind {
        case .taskStep(let agentID, let key, let run, let index):
            step(key, on: agentID, run: run, index: index)
        case .resend(let agentID, let key, let uuid):
            resend(key, on: agentID, uuid: uuid)
        case .deliver(let agentID, let frameworkID, let status):
            deliverUpdate(status, of: frameworkID, from: agentID)
        case .callback:
            if let work = callbacks.removeValue(forKey: event.sequence) { await work() }
        }
        await drain()
    }

    @discardableResult
    func schedule(_ kind: TimedEvent.Kind, at time: Duration) -> UInt64 {
        nextSequence += 1
        events.insert(TimedEvent(time: time, sequence: nextSequence, kind: kind))
        return nextSequence
    }

    /// A new launch number.
    func nextRun() -> UInt64 {
        runs += 1
        return runs
    }

    /// A UUID from a counter, so runs are repeatable.
    func nextUUID() -> UUID {
        uuids += 1
        var bytes = [UInt8](repeating: 0, count: 16)
        withUnsafeBytes(of: uuids.bigEndian) { bytes.replaceSubrange(8..<16, with: $0) }
        bytes[6] = 0x40 | (bytes[6] & 0x0F)  // version 4 layout, so it reads as an ordinary UUID
        bytes[8] = 0x80 | (bytes[8] & 0x3F)
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                           bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }

    /// The connected schedulers, oldest first.
    func connectionsByID() -> [(ConnectionID, Connection)] {
        connections.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Puts a new master in place; what was queued for the old one is dropped.
    func replaceMaster(_ replacement: MasterState) {
        master = replacement
        outbox.removeAll()
        allocationDue = false
    }

    /// Queues the master's outputs for the current drain.
    func queue(_ outputs: [MasterOutput]) { outbox.append(contentsOf: outputs) }

    /// Asks for an allocation once the queued outputs are delivered.
    func markAllocationDue() { allocationDue = true }

    // MARK: Delivering the master's outputs

    /// Delivers queued outputs until none is left; allocates when something freed resources
    /// or a framework asked for offers. Re-entrant calls (from schedulers' callbacks) only
    /// queue; the outermost drain delivers.
    func drain() async {
        guard !isDraining else { return }
        isDraining = true
        defer { isDraining = false }
        while true {
            if outbox.isEmpty {
                guard allocationDue else { return }
                allocationDue = false
                outbox.append(contentsOf: master.tick(now: now, allocateNow: true))
                continue
            }
            let output = outbox.removeFirst()
            switch output {
            case .agent(let id, let kind):
                agentEvent(kind, on: id)
            case .scheduler(let connection, let kind):
                await deliver(kind, to: connection)
            case .closeScheduler(let connection):
                connections[connection] = nil
            }
        }
    }

    private func deliver(_ event: SchedulerEvent.Kind, to connection: ConnectionID) async {
        guard var entry = connections[connection] else { return }
        var isFirst = false
        switch event {
        case .subscribed(let id, _, _):
            entry.driver.frameworkID = id
            isFirst = !entry.subscribedOnce
            entry.subscribedOnce = true
            entry.framework.id = id
            connections[connection] = entry
        case .offers(let offers):
            if let id = entry.driver.frameworkID { counters[id, default: .init()].offersReceived += offers.count }
        case .error:
            connections[connection] = nil
        default:
            break
        }
        do {
            try await entry.scheduler.receive(event, from: entry.driver, isFirstSubscription: isFirst)
        } catch {
            // As a driver does when a callback throws: the framework stops (is torn down).
            if case .error = event { return }
            if connections[connection] != nil, let id = entry.driver.frameworkID {
                connections[connection] = nil
                outbox.append(contentsOf: (try? master.handle(SchedulerCall(frameworkID: id, .teardown), from: connection, now: now)) ?? [])
                outbox.append(contentsOf: master.schedulerDisconnected(connection, now: now))
                allocationDue = true
            }
        }
    }

    /// Frees a task's resources when it ends, or forgets it; an `.update` for the master.
    func sendUpdate(_ status: TaskStatus, of frameworkID: FrameworkID, from agentID: AgentID) {
        guard let agent = agents[agentID] else { return }
        let key = TaskKey(framework: frameworkID, task: status.taskID)
        agents[agentID]?.pending[key, default: []].append(status)
        if agents[agentID]?.pending[key]?.count == 1, !agent.partitioned {
            transmitHead(of: key, on: agentID)
        }
    }

    /// Sends the oldest unacknowledged update of a task (through the status filter) and
    /// schedules its resend.
    func transmitHead(of key: TaskKey, on agentID: AgentID) {
        guard let status = agents[agentID]?.pending[key]?.first, let uuid = status.uuid else { return }
        schedule(.resend(agentID, key, uuid), at: now + configuration.statusUpdateRetry)
        switch statusFilter.decide() {
        case .drop: return
        case .deliver: deliverUpdate(status, of: key.framework, from: agentID)
        case .delay(let delay): schedule(.deliver(agentID, key.framework, status), at: now + delay)
        }
    }

    private func deliverUpdate(_ status: TaskStatus, of frameworkID: FrameworkID, from agentID: AgentID) {
        guard let agent = agents[agentID], !agent.partitioned else { return }
        if status.state.isTerminal { allocationDue = true }
        outbox.append(contentsOf: master.handle(AgentCall(agentID: agentID, .update(frameworkID: frameworkID, status: status)), now: now))
    }

    private func resend(_ key: TaskKey, on agentID: AgentID, uuid: UUID) {
        guard let agent = agents[agentID], !agent.partitioned, agent.pending[key]?.first?.uuid == uuid else { return }
        transmitHead(of: key, on: agentID)
    }
}

/// A framework's task on an agent.
struct TaskKey: Hashable, Sendable {
    var framework: FrameworkID
    var task: TaskID
}

/// Something due at a virtual instant; ties keep the order they were scheduled in.
struct TimedEvent: Comparable, Sendable {
    enum Kind: Sendable {
        case taskStep(AgentID, TaskKey, run: UInt64, index: Int)
        case resend(AgentID, TaskKey, UUID)
        case deliver(AgentID, FrameworkID, TaskStatus)
        case callback
    }

    var time: Duration
    var sequence: UInt64
    var kind: Kind

    static func < (lhs: TimedEvent, rhs: TimedEvent) -> Bool { (lhs.time, lhs.sequence) < (rhs.time, rhs.sequence) }
    static func == (lhs: TimedEvent, rhs: TimedEvent) -> Bool { lhs.time == rhs.time && lhs.sequence == rhs.sequence }
}

/// A connected scheduler.
struct Connection: Sendable {
    var scheduler: any Scheduler
    var driver: SimulatedSchedulerDriver
    var subscribedOnce: Bool
    /// The framework as it subscribed (its ID once the master gave one), for re-subscribing.
    var framework: FrameworkInfo
}

/// What happened to one framework, for assertions.
public struct FrameworkCounters: Sendable, Hashable {
    /// Offers the framework received.
    public var offersReceived = 0
    /// Offers it declined.
    public var offersDeclined = 0
    /// Offers it accepted (used in an accept).
    public var offersAccepted = 0
    /// Tasks it asked to launch (valid or not).
    public var tasksLaunched = 0
}
