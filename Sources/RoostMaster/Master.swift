import FoundationEssentials
public import Logging
import Metrics
public import RoostAllocators
public import RoostCore

/// The master runtime: owns the ``MasterState`` and does its I/O, only while elected.
///
/// One actor owns the state; schedulers and agents reach it through
/// connections (in-process ones here, HTTP later) that carry the same
/// ``SchedulerCall``/``SchedulerEvent`` and ``AgentCall``/``AgentEvent``
/// values. ``run()`` campaigns with the ``LeaderElector`` and, while elected,
/// runs allocation cycles, pings and heartbeats on the injected clock. On
/// `.lost` it stops acting at once: every connection is closed and the state
/// dropped, so schedulers and agents find the new leader and re-register with
/// it. Every event it sends carries its election epoch.
public actor Master {
    /// The master's settings.
    public struct Configuration: Sendable {
        /// Timing and limits (Mesos defaults).
        public var state: MasterState.Configuration
        /// The allocation engine's settings (minimum allocatable resources).
        public var allocation: AllocationEngine.Configuration

        /// Creates a configuration.
        public init(state: MasterState.Configuration = .init(), allocation: AllocationEngine.Configuration = .init()) {
            self.state = state
            self.allocation = allocation
        }
    }

    /// Who this master is.
    public nonisolated let info: MasterInfo
    private let configuration: Configuration
    private let makePolicy: @Sendable () -> any AllocatorPolicy
    private let elector: any LeaderElector
    private let logger: Logger
    private let stopwatch: Stopwatch
    private let wallClock: @Sendable () -> Timestamp
    private let doorbell = Doorbell()

    private var state: MasterState?
    /// Whether ``state`` is set; checked instead of `state != nil`, which copies the state.
    private var leads = false
    private var epoch = LeaderEpoch(0)
    private var schedulers: [ConnectionID: AsyncStream<SchedulerEvent>.Continuation] = [:]
    private var agentLinks: [UInt64: AsyncStream<AgentEvent>.Continuation] = [:]
    private var linkOfAgent: [AgentID: UInt64] = [:]
    private var nextConnection: UInt64 = 0

    private let offersSent = Counter(label: "roost_master_offers_sent")
    private let offersRescinded = Counter(label: "roost_master_offers_rescinded")
    private let offersDeclined = Counter(label: "roost_master_offers_declined")
    private let callsRejected = Counter(label: "roost_master_calls_rejected")
    private let allocationTimer = Metrics.Timer(label: "roost_master_allocation_cycle")
    /// Status updates forwarded to frameworks, by task state (`state` dimension, Mesos names).
    private let updatesByState: [TaskState: Counter] = Dictionary(uniqueKeysWithValues: TaskState.allCases.map {
        ($0, Counter(label: "roost_master_task_updates", dimensions: [("state", $0.rawValue)]))
    })

    /// Creates a master that allocates with a fresh policy from `makePolicy` each time it is elected.
    ///
    /// `clock` drives allocation, pings and timeouts (a test passes a manual one).
    public init<C: Clock>(
        info: MasterInfo,
        policy makePolicy: @escaping @Sendable () -> any AllocatorPolicy,
        elector: any LeaderElector,
        configuration: Configuration = Configuration(),
        clock: C,
        logger: Logger = Logger(label: "roost.master")
    ) where C.Duration == Duration {
        self.info = info
        self.configuration = configuration
        self.makePolicy = makePolicy
        self.elector = elector
        self.logger = logger
        stopwatch = Stopwatch(clock)
        wallClock = { Timestamp(secondsSinceEpoch: Date().timeIntervalSince1970) }
    }

    /// Creates a master on the continuous clock.
    public init(
        info: MasterInfo,
        policy makePolicy: @escaping @Sendable () -> any AllocatorPolicy,
        elector: any LeaderElector,
        configuration: Configuration = Configuration(),
        logger: Logger = Logger(label: "roost.master")
    ) {
        self.init(info: info, policy: makePolicy, elector: elector, configuration: configuration, clock: ContinuousClock(), logger: logger)
    }

    /// Whether this master leads now.
    public var isLeading: Bool { leads }

    /// Campaigns and serves while elected, until the task is cancelled; then resigns and
    /// closes every connection.
    /// - Throws: ``ElectionError`` when the election cannot be joined.
    public func run() async throws {
        let events = try await elector.campaign(as: info)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.tickLoop() }
            for await event in events {
                if Task.isCancelled { break }
                leadership(event)
            }
            group.cancelAll()
        }
        await elector.resign()
        stepDown(reason: "the master is shutting down")
    }

    /// A snapshot of the master's state, or `nil` when it does not lead.
    public func snapshot() -> MasterSnapshot? { state?.snapshot }

    /// Why `framework` gets what it gets, or does not get more (the allocation engine's and its
    /// policy's explanations); empty when the master does not lead or does not know the framework.
    public func explain(_ framework: FrameworkID) -> [AllocationExplanation] { state?.explain(framework) ?? [] }

    // MARK: Leadership

    private func leadership(_ event: LeadershipEvent) {
        switch event {
        case .elected(let newEpoch):
            logger.info("elected", metadata: ["epoch": "\(newEpoch)"])
            epoch = newEpoch
            let origin = wallClock().advanced(by: .zero - stopwatch.elapsed)
            state = MasterState(master: info, policy: makePolicy(), wallClockAtOrigin: origin, configuration: configuration.state, allocation: configuration.allocation)
            leads = true
            doorbell.ring()
        case .lost:
            logger.warning("lost leadership: stopping at once")
            stepDown(reason: "the master lost leadership")
        case .leaderChanged(let leader):
            logger.info("leader is \(leader.map { "\($0.id) at \($0.address)" } ?? "nobody")")
        }
    }

    /// Stops acting: drops the state and closes every connection.
    private func stepDown(reason: String) {
        state = nil
        leads = false
        for (_, continuation) in schedulers { continuation.finish() }
        for (_, continuation) in agentLinks { continuation.finish() }
        schedulers.removeAll()
        agentLinks.removeAll()
        linkOfAgent.removeAll()
        logger.info("closed every connection: \(reason)")
    }

    // MARK: Time

    ///
    /// The loop waits only for the doorbell; an alarm task rings it when the next timer is
    /// due. The alarm is re-armed only when a tick wants an earlier wake-up than the armed
    /// one (or it has gone off), so the rings that follow every finished task cost no timer
    /// each; an alarm that goes off early only runs a tick that finds nothing due.
    private func tickLoop() async {
        var alarm: (deadline: Duration, task: Task<Void, Never>)?
        defer { alarm?.task.cancel() }
        while !Task.isCancelled {
            let wait = tick(allocateNow: true)
            let now = stopwatch.elapsed
            let deadline = now + wait
            if let armed = alarm, armed.deadline <= deadline, now < armed.deadline {
                // The armed alarm goes off first; it will do.
            } else {
                alarm?.task.cancel()
                alarm = (deadline, Task { [stopwatch, doorbell] in
                    guard (try? await stopwatch.sleep(for: wait)) != nil else { return }  // cancelled: re-armed
                    doorbell.ring()
                })
            }
            await doorbell.wait()
        }
    }

    /// Runs due timers (and an allocation when asked); returns how long until the next is due.
    private func tick(allocateNow: Bool) -> Duration {
        guard leads else { return configuration.state.allocationInterval }
        let now = stopwatch.elapsed
        let start = ContinuousClock.now
        let outputs = state!.tick(now: now, allocateNow: allocateNow)
        allocationTimer.recordNanoseconds(Int64(max(0, (ContinuousClock.now - start).seconds * 1e9)))
        deliver(outputs)
        return max(.milliseconds(1), state!.nextTick(after: now) - now)
    }

    // MARK: Schedulers

    /// Opens an in-process scheduler connection: its ID and the events the master sends on it.
    public func connectScheduler() -> (ConnectionID, AsyncStream<SchedulerEvent>) {
        nextConnection += 1
        let id = ConnectionID(nextConnection)
        let (stream, continuation) = AsyncStream<SchedulerEvent>.makeStream()
        if !leads {
            continuation.finish()
        } else {
            schedulers[id] = continuation
        }
        return (id, stream)
    }

    /// Handles a call from a scheduler connection.
    /// - Throws: ``SchedulerDriverError``: `notLeader` when this master does not lead, or the
    ///   state machine's refusal.
    public func schedulerCall(_ call: SchedulerCall, from connection: ConnectionID) throws(SchedulerDriverError) {
        guard leads else { throw SchedulerDriverError(.notLeader, "master \(info.id) does not lead; find the leader and subscribe there") }
        guard schedulers[connection] != nil else { throw SchedulerDriverError(.disconnected, "connection \(connection) is closed") }
        do {
            let outputs = try state!.handle(call, from: connection, now: stopwatch.elapsed)
            if case .decline(let offerIDs, _) = call.kind { offersDeclined.increment(by: offerIDs.count) }
            deliver(outputs)
            // Allocate promptly when resources return, a framework asks again, or a framework
            // (re-)subscribes: Mesos' allocator makes offers on `addFramework` and
            // `activateFramework` rather than waiting for the next periodic cycle.
            switch call.kind {
            case .subscribe, .accept, .decline, .revive, .teardown, .request: doorbell.ring()
            default: break
            }
        } catch {
            callsRejected.increment()
            logger.debug("call rejected", metadata: ["connection": "\(connection)", "error": "\(error)"])
            throw error
        }
    }

    /// A scheduler connection closed (the scheduler stopped or its transport broke).
    public func schedulerDisconnected(_ connection: ConnectionID) {
        guard let continuation = schedulers.removeValue(forKey: connection) else { return }
        continuation.finish()
        guard leads else { return }
        deliver(state!.schedulerDisconnected(connection, now: stopwatch.elapsed))
    }

    // MARK: Agents

    /// Opens an in-process agent link: its number and the messages the master sends on it.
    public func connectAgent() -> (link: UInt64, events: AsyncStream<AgentEvent>) {
        nextConnection += 1
        let (stream, continuation) = AsyncStream<AgentEvent>.makeStream()
        if !leads {
            continuation.finish()
        } else {
            agentLinks[nextConnection] = continuation
        }
        return (nextConnection, stream)
    }

    /// Handles a message from an agent link. Messages while not leading are dropped (the link
    /// is closed, so the agent looks for the leader).
    public func agentCall(_ call: AgentCall, from link: UInt64) {
        guard leads, agentLinks[link] != nil else { return }
        if let agentID = call.agentID { linkOfAgent[agentID] = link }
        let outputs = state!.handle(call, now: stopwatch.elapsed)
        // A first registration names the new agent ID in the reply: bind it to this link.
        for case .agent(let id, .registered) in outputs { linkOfAgent[id] = link }
        deliver(outputs)
        // Allocate promptly when resources may have been added, or freed while some framework
        // could take them (when every framework has suppressed its offers, the periodic cycle
        // will do: a prompt one per finished task would find no taker).
        switch call.kind {
        case .register, .reregister, .unregister: doorbell.ring()
        case .update(_, let status) where status.state.isTerminal && state!.allocationHasTakers: doorbell.ring()
        default: break
        }
    }

    /// An agent link closed.
    public func agentDisconnected(link: UInt64) {
        agentLinks.removeValue(forKey: link)?.finish()
        linkOfAgent = linkOfAgent.filter { $0.value != link }
    }

    // MARK: Output

    private func deliver(_ outputs: [MasterOutput]) {
        for output in outputs {
            switch output {
            case .scheduler(let connection, let kind):
                if case .offers(let offers) = kind { offersSent.increment(by: offers.count) }
                if case .rescind = kind { offersRescinded.increment() }
                if case .update(let status) = kind { updatesByState[status.state]?.increment() }
                schedulers[connection]?.yield(SchedulerEvent(epoch: epoch, kind))
            case .closeScheduler(let connection):
                schedulers.removeValue(forKey: connection)?.finish()
            case .agent(let agentID, let kind):
                guard let link = linkOfAgent[agentID] else { continue }
                agentLinks[link]?.yield(AgentEvent(epoch: epoch, kind))
            }
        }
    }
}
