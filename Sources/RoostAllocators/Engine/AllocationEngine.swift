public import RoostCore
import HeapModule

/// The mechanism half of allocation: tracks agents, frameworks and what each holds,
/// applies decline filters, suppression and minimum sizes, and asks an
/// ``AllocatorPolicy`` who gets each agent's free resources.
///
/// A pure state machine: no clock, no I/O, no locks. The master owns one and
/// feeds it events and `now` (any monotonic time since an origin the owner
/// picks); ``allocate(now:)`` returns the offers to make and the tasks to preempt.
///
/// Cycles are incremental. Only agents whose free resources grew, that were
/// added, or whose filters expired are examined; agents with free resources
/// that nobody could take wait until eligibility changes (a framework added or
/// revived, a filter expired, the policy replaced). An agent on which every
/// candidate is filtered or suppressed is skipped in O(1).
public struct AllocationEngine: Sendable {
    /// The engine's settings.
    public struct Configuration: Sendable {
        /// An agent's free resources are offered only if they hold at least one of these
        /// quantities. Default `cpus:0.01` or `mem:32`, Mesos' `--min_allocatable_resources`.
        public var minimumAllocatable: [Resources]

        /// Creates a configuration.
        public init(minimumAllocatable: [Resources] = ["cpus:0.01", "mem:32"]) {
            self.minimumAllocatable = minimumAllocatable
        }
    }

    let configuration: Configuration
    var policy: any AllocatorPolicy

    var agents: [AgentLedger?] = []
    var agentSlots: [AgentID: Int] = [:]
    private var reusableAgentSlots: [Int] = []

    var candidates: [CandidateRecord?] = []
    /// Each live candidate's role, by index: what eligibility checks read in the hot loop.
    var candidateRoles: [Role?] = []
    private var reusableCandidateIDs: [Int] = []
    var frameworks: [FrameworkID: FrameworkRecord] = [:]
    private var registrations: UInt64 = 0
    var liveCandidates = 0
    var suppressed = CandidateBits()
    var suppressedCount = 0
    var weights: [Role: Double] = [:]

    /// Agent slots to examine next cycle. Entries are checked against the agent's `queue`
    /// when used, so a stale or repeated entry costs nothing and nothing is removed eagerly.
    var dirty: [Int] = []
    /// Agent slots waiting for an eligibility change; checked lazily like `dirty`.
    var stranded: [Int] = []
    var expirations = Heap<FilterExpiry>()
    private var filterSerial: UInt64 = 0

    /// Frameworks with outstanding demand, so a cycle's preemption pass costs nothing without any.
    var needy: Set<FrameworkID> = []
    var tasks: [TaskKey: RunningTask] = [:]
    private var launches: UInt64 = 0
    var pendingPreemptions: [TaskKey: Preemption] = [:]
    var lastRecipients: [CandidateID] = []
    var lastPreemptedBy: [FrameworkID: FrameworkID] = [:]

    struct CandidateRecord: Sendable {
        var candidate: AllocationCandidate
        /// Agents where this candidate has filters.
        var filterAgents: Set<Int> = []
    }

    struct FrameworkRecord: Sendable {
        var info: FrameworkInfo
        var candidates: [Role: CandidateID]
        var demand: [ResourceRequest] = []
    }

    struct TaskKey: Hashable, Sendable {
        var framework: FrameworkID
        var task: TaskID
    }

    struct FilterExpiry: Comparable, Sendable {
        var expiresAt: Duration
        var serial: UInt64
        var agentSlot: Int
        var candidate: Int

        static func < (lhs: FilterExpiry, rhs: FilterExpiry) -> Bool {
            (lhs.expiresAt, lhs.serial) < (rhs.expiresAt, rhs.serial)
        }
    }

    /// Creates an engine around `policy`.
    public init(policy: any AllocatorPolicy, configuration: Configuration = Configuration()) {
        self.policy = policy
        self.configuration = configuration
    }

    /// The current policy's name.
    public var policyName: String { policy.name }

    /// Whether a cycle could give anyone anything: some framework's role is not suppressed, or
    /// some framework still waits for a preemption. `false` when every framework has
    /// suppressed its offers, so a cycle right after resources come back would find no taker.
    public var canOfferAnything: Bool { suppressedCount < liveCandidates || !needy.isEmpty }

    // MARK: Frameworks

    /// Registers a framework; it becomes a candidate under each of its roles.
    /// - Throws: ``AllocationError`` when it is already registered or has no roles.
    public mutating func addFramework(_ framework: FrameworkID, info: FrameworkInfo) throws(AllocationError) {
        guard frameworks[framework] == nil else {
            throw AllocationError(.duplicateFramework, "framework \(framework) is already registered with the allocator")
        }
        do { try info.validate() } catch { throw AllocationError(.invalidFramework, error.description) }
        frameworks[framework] = FrameworkRecord(info: info, candidates: [:])
        for role in info.roles { addCandidate(framework, role: role, priority: info.priority) }
        wakeStranded()
    }

    /// Applies a changed ``FrameworkInfo``: a new priority, roles added (new candidates)
    /// or removed (their allocations are recovered).
    /// - Throws: ``AllocationError`` when the framework is unknown or the info invalid.
    public mutating func updateFramework(_ framework: FrameworkID, info: FrameworkInfo) throws(AllocationError) {
        guard var record = frameworks[framework] else { throw unknown(framework) }
        do { try info.validate() } catch { throw AllocationError(.invalidFramework, error.description) }
        for (role, id) in record.candidates where !info.roles.contains(role) {
            removeCandidate(id)
            record.candidates[role] = nil
            tasks = tasks.filter { $0.value.candidate != id }
            pendingPreemptions = pendingPreemptions.filter { $0.value.task.candidate != id }
        }
        record.info = info
        frameworks[framework] = record
        for role in info.roles {
            if let id = record.candidates[role] {
                candidates[id.index]?.candidate.priority = info.priority
                if let candidate = candidates[id.index]?.candidate { policy.updateCandidate(candidate) }
            } else {
                addCandidate(framework, role: role, priority: info.priority)
            }
        }
        wakeStranded()
    }

    /// Unregisters a framework: everything it holds returns to the free pool.
    public mutating func removeFramework(_ framework: FrameworkID) {
        guard let record = frameworks.removeValue(forKey: framework) else { return }
        needy.remove(framework)
        for id in record.candidates.values { removeCandidate(id) }
        tasks = tasks.filter { $0.key.framework != framework }
        pendingPreemptions = pendingPreemptions.filter { $0.key.framework != framework }
        lastPreemptedBy[framework] = nil
    }

    /// Stops offers to `framework` under `roles` (all its roles when empty) until ``revive(_:roles:)``.
    /// - Throws: ``AllocationError`` when the framework is unknown.
    public mutating func suppress(_ framework: FrameworkID, roles: [Role] = []) throws(AllocationError) {
        for id in try candidateIDs(of: framework, roles: roles) where suppressed.insert(id.index) {
            suppressedCount += 1
        }
    }

    /// Resumes offers to `framework` under `roles` (all its roles when empty) and clears its
    /// decline filters, as Mesos' `REVIVE` does.
    /// - Throws: ``AllocationError`` when the framework is unknown.
    public mutating func revive(_ framework: FrameworkID, roles: [Role] = []) throws(AllocationError) {
        for id in try candidateIDs(of: framework, roles: roles) {
            if suppressed.remove(id.index) { suppressedCount -= 1 }
            clearFilters(of: id.index)
        }
        wakeStranded()
    }

    /// Declares `framework`'s outstanding demand (Mesos' `REQUEST` call): resources for work it
    /// is waiting to launch, one request per task-sized piece, each optionally pinned to an
    /// agent. Replaces what it asked before; an empty list withdraws it.
    ///
    /// A request is served, and dropped from the demand, as soon as the framework is offered
    /// resources that contain it (on the pinned agent, if any), like a pending pod that has
    /// been scheduled; a framework that declines that offer and still wants the resources
    /// requests again. Demand counts under the framework's first role. A request that no
    /// agent's free resources can serve (taking the requests one after another) is *unmet*,
    /// and a preempting policy is asked for victims.
    /// - Throws: ``AllocationError`` when the framework is unknown.
    public mutating func request(_ requests: [ResourceRequest], by framework: FrameworkID) throws(AllocationError) {
        guard frameworks[framework] != nil else { throw unknown(framework) }
        let demand = requests.filter { !$0.resources.isEmpty }
        frameworks[framework]?.demand = demand
        if demand.isEmpty { needy.remove(framework) } else { needy.insert(framework) }
    }

    /// Sets a role's weight (default 1; Mesos' `--weights` and `/weights` endpoint).
    /// - Throws: ``AllocationError`` unless `weight` is positive and finite.
    public mutating func setWeight(_ weight: Double, for role: Role) throws(AllocationError) {
        guard weight.isFinite, weight > 0 else {
            throw AllocationError(.invalidWeight, "weight \(weight) for role \(role) must be a positive number")
        }
        weights[role] = weight
        policy.setWeight(weight, for: role)
    }

    // MARK: Agents

    /// Adds an agent (its `id` must be set). `holding` lists what frameworks already use
    /// there, for an agent re-registering with running tasks.
    /// - Throws: ``AllocationError`` when the agent has no ID, is already registered, or
    ///   `holding` names unknown frameworks or more than the agent has.
    public mutating func addAgent(_ info: AgentInfo, holding: [Allocation] = []) throws(AllocationError) {
        guard let id = info.id else { throw AllocationError(.invalidAgent, "agent \(info.hostname) has no ID; the master assigns one before adding it") }
        guard agentSlots[id] == nil else { throw AllocationError(.invalidAgent, "agent \(id) is already registered with the allocator") }
        var ledger = AgentLedger(info: info, id: id)
        var used: [(Int, Resources)] = []
        for allocation in holding {
            guard let candidate = frameworks[allocation.framework]?.candidates[allocation.role] else {
                throw AllocationError(.unknownFramework, "agent \(id) reports resources of framework \(allocation.framework) under role \(allocation.role), which is not registered")
            }
            guard ledger.free.contains(allocation.resources) else {
                throw AllocationError(.overRecovery, "agent \(id) reports \(allocation.resources) in use by \(allocation.framework) but has only \(ledger.free) left")
            }
            ledger.allocate(allocation.resources, to: candidate.index)
            used.append((candidate.index, allocation.resources))
        }
        let slot = reusableAgentSlots.popLast() ?? agents.count
        if slot == agents.count { agents.append(nil) }
        ledger.queue = .dirty
        agents[slot] = ledger
        agentSlots[id] = slot
        dirty.append(slot)
        policy.addAgent(id, total: info.resources)
        for (candidate, resources) in used {
            policy.allocated(resources, to: CandidateID(candidate), on: id)
        }
    }

    /// Removes an agent; what frameworks held there is forgotten (their tasks are lost).
    public mutating func removeAgent(_ id: AgentID) {
        guard let slot = agentSlots.removeValue(forKey: id), let ledger = agents[slot] else { return }
        for (candidate, resources) in ledger.allocations {
            policy.recovered(resources, from: CandidateID(candidate), on: id)
        }
        for candidate in ledger.filters.keys { candidates[candidate]?.filterAgents.remove(slot) }
        policy.removeAgent(id, total: ledger.total)
        agents[slot] = nil
        reusableAgentSlots.append(slot)
        tasks = tasks.filter { $0.value.agentID != id }
        pendingPreemptions = pendingPreemptions.filter { $0.value.task.agentID != id }
    }

    // MARK: Resources coming back

    /// Returns resources a framework held on an agent (a decline, the unused part of an
    /// accepted offer, a finished task). With a `filter` whose refuse time is positive,
    /// those resources are not re-offered to it on this agent until `now + filter.refuse`.
    /// - Throws: ``AllocationError`` when the framework or agent is unknown or the framework
    ///   does not hold `resources` there; nothing changes then.
    public mutating func recover(_ resources: Resources, of framework: FrameworkID, role: Role, on agent: AgentID, filter: Filters? = nil, now: Duration) throws(AllocationError) {
        guard let record = frameworks[framework] else { throw unknown(framework) }
        guard let candidate = record.candidates[role] else {
            throw AllocationError(.unknownFramework, "framework \(framework) has no role \(role)")
        }
        guard let slot = agentSlots[agent], var ledger = agents[slot] else {
            throw AllocationError(.unknownAgent, "agent \(agent) is not registered with the allocator")
        }
        agents[slot] = nil
        defer { agents[slot] = ledger }
        guard ledger.recover(resources, from: candidate.index) else {
            throw AllocationError(.overRecovery, "framework \(framework) does not hold \(resources) on agent \(agent); it holds \(ledger.holding(candidate.index))")
        }
        policy.recovered(resources, from: candidate, on: agent)
        if let filter, filter.refuse > .zero, !resources.isEmpty {
            filterSerial += 1
            let expiresAt = now + filter.refuse
            ledger.addFilter(OfferFilter(refused: resources, expiresAt: expiresAt, serial: filterSerial), for: candidate.index)
            candidates[candidate.index]?.filterAgents.insert(slot)
            expirations.insert(FilterExpiry(expiresAt: expiresAt, serial: filterSerial, agentSlot: slot, candidate: candidate.index))
        }
        if ledger.queue != .dirty {
            ledger.queue = .dirty
            dirty.append(slot)
        }
    }

    // MARK: Tasks (for preemption)

    /// Records a launched task, so preemption can choose among running tasks.
    /// - Throws: ``AllocationError`` when the framework or agent is unknown.
    public mutating func taskLaunched(_ task: TaskID, of framework: FrameworkID, role: Role, on agent: AgentID, resources: Resources, killGracePeriod: Duration) throws(AllocationError) {
        guard let candidate = frameworks[framework]?.candidates[role] else { throw unknown(framework) }
        guard agentSlots[agent] != nil else { throw AllocationError(.unknownAgent, "agent \(agent) is not registered with the allocator") }
        launches += 1
        tasks[TaskKey(framework: framework, task: task)] = RunningTask(
            taskID: task, framework: framework, candidate: candidate, agentID: agent,
            resources: resources, launchOrder: launches, killGracePeriod: killGracePeriod)
    }

    /// Forgets a task that ended (its resources are returned with ``recover(_:of:role:on:filter:now:)``).
    public mutating func taskEnded(_ task: TaskID, of framework: FrameworkID) {
        let key = TaskKey(framework: framework, task: task)
        tasks[key] = nil
        pendingPreemptions[key] = nil
    }

    // MARK: Policy

    /// Replaces the policy while running; the new one is told every candidate, agent,
    /// weight and allocation, so current allocations carry over.
    public mutating func replacePolicy(_ replacement: any AllocatorPolicy) {
        var next = replacement
        for (role, weight) in weights.sorted(by: { $0.key < $1.key }) { next.setWeight(weight, for: role) }
        for record in candidates.compactMap({ $0 }).sorted(by: { $0.candidate.registrationOrder < $1.candidate.registrationOrder }) {
            next.addCandidate(record.candidate)
        }
        for ledger in agents.compactMap({ $0 }) {
            next.addAgent(ledger.id, total: ledger.total)
            for (candidate, resources) in ledger.allocations {
                next.allocated(resources, to: CandidateID(candidate), on: ledger.id)
            }
        }
        policy = next
        wakeStranded()
    }

    // MARK: Queries

    /// Everything `framework` holds (offered or in use), summed across agents and roles.
    ///
    /// Ranges and sets are united across agents (port 31000 held on two agents shows
    /// once); ask ``allocation(of:on:)`` for one agent's exact holding. O(agents).
    public func allocation(of framework: FrameworkID) -> Resources {
        guard let record = frameworks[framework] else { return Resources() }
        let ids = Set(record.candidates.values.map(\.index))
        var total = Resources()
        for ledger in agents {
            guard let ledger else { continue }
            for (candidate, resources) in ledger.allocations where ids.contains(candidate) { total += resources }
        }
        return total
    }

    /// What `framework` holds (offered or in use) on one agent, across its roles.
    public func allocation(of framework: FrameworkID, on agent: AgentID) -> Resources {
        guard let record = frameworks[framework], let slot = agentSlots[agent], let ledger = agents[slot] else { return Resources() }
        return record.candidates.values.reduce(into: Resources()) { $0 += ledger.holding($1.index) }
    }

    /// The free resources of an agent, or `nil` if it is unknown.
    public func free(on agent: AgentID) -> Resources? {
        agentSlots[agent].flatMap { agents[$0]?.free }
    }

    /// The sum of all agents' resources.
    public var totalResources: Resources {
        agents.reduce(into: Resources()) { $0 += $1?.total ?? Resources() }
    }

    /// The registered frameworks.
    public var frameworkIDs: [FrameworkID] { Array(frameworks.keys) }

    /// The registered agents.
    public var agentIDs: [AgentID] { Array(agentSlots.keys) }

    // MARK: Helpers

    private mutating func addCandidate(_ framework: FrameworkID, role: Role, priority: Int) {
        let index = reusableCandidateIDs.popLast() ?? candidates.count
        if index == candidates.count {
            candidates.append(nil)
            candidateRoles.append(nil)
        }
        candidateRoles[index] = role
        registrations += 1
        let candidate = AllocationCandidate(id: CandidateID(index), framework: framework, role: role, priority: priority, registrationOrder: registrations)
        candidates[index] = CandidateRecord(candidate: candidate)
        frameworks[framework]?.candidates[role] = candidate.id
        liveCandidates += 1
        policy.addCandidate(candidate)
    }

    private mutating func removeCandidate(_ id: CandidateID) {
        guard candidates[id.index] != nil else { return }
        clearFilters(of: id.index)
        for slot in agents.indices {
            guard var ledger = agents[slot], let held = ledger.allocations.first(where: { $0.candidate == id.index }) else { continue }
            agents[slot] = nil
            _ = ledger.recover(held.resources, from: id.index)
            policy.recovered(held.resources, from: id, on: ledger.id)
            if ledger.queue != .dirty {
                    ledger.queue = .dirty
                dirty.append(slot)
            }
            agents[slot] = ledger
        }
        if suppressed.remove(id.index) { suppressedCount -= 1 }
        policy.removeCandidate(id)
        candidates[id.index] = nil
        candidateRoles[id.index] = nil
        reusableCandidateIDs.append(id.index)
        liveCandidates -= 1
        lastRecipients.removeAll { $0 == id }
    }

    private mutating func clearFilters(of candidate: Int) {
        guard let slots = candidates[candidate]?.filterAgents else { return }
        for slot in slots { agents[slot]?.clearFilters(for: candidate) }
        candidates[candidate]?.filterAgents = []
    }

    /// Eligibility changed somewhere: agents nobody could take are looked at again.
    mutating func wakeStranded() {
        for slot in stranded where agents[slot]?.queue == .stranded {
            agents[slot]?.queue = .dirty
            dirty.append(slot)
        }
        stranded.removeAll()
    }

    func candidateIDs(of framework: FrameworkID, roles: [Role]) throws(AllocationError) -> [CandidateID] {
        guard let record = frameworks[framework] else { throw unknown(framework) }
        if roles.isEmpty { return Array(record.candidates.values) }
        return try roles.map { role throws(AllocationError) in
            guard let id = record.candidates[role] else {
                throw AllocationError(.unknownFramework, "framework \(framework) has no role \(role)")
            }
            return id
        }
    }

    func unknown(_ framework: FrameworkID) -> AllocationError {
        AllocationError(.unknownFramework, "framework \(framework) is not registered with the allocator")
    }
}
