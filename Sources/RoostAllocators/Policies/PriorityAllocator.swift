public import RoostCore

/// Strict priority between frameworks, weighted DRF among frameworks of equal priority,
/// and preemption of lower-priority tasks for unmet demand.
///
/// Mesos has no priority allocator; the model is Kubernetes' `PriorityClass`
/// scheduling and preemption:
/// - candidates are ordered by ``AllocationCandidate/priority``, higher first;
///   a lower-priority candidate is offered an agent only when every
///   higher-priority one is ineligible there (it declined with a filter,
///   suppressed, or cannot use the agent's reservations);
/// - among equal priorities, by dominant share (as ``DRFAllocator`` computes it)
///   divided by the weight of the candidate's role (default 1), then by
///   earlier registration, so the order is deterministic. Shares are compared
///   per candidate, not per role first as ``DRFAllocator`` does, because a
///   priority belongs to a framework and one role may hold frameworks of
///   different priorities;
/// - ``victims(for:of:running:agents:)`` chooses, for demand declared with
///   ``AllocationEngine/request(_:by:)``, a minimal set of tasks of strictly
///   lower priority to kill, lowest priority and youngest first. The master
///   kills them gracefully with each task's own grace period, as the kubelet
///   honours a preempted pod's `terminationGracePeriodSeconds`.
///
/// `pick` walks candidates in order and returns the first eligible one: O(1)
/// when the first is eligible, one step per ineligible one. An allocation moves
/// one candidate in the sorted list; a priority change moves one candidate; a
/// weight change moves the candidates of that role.
public struct PriorityAllocator: AllocatorPolicy {
    /// The priority policy's settings: the same as DRF's, which orders equal priorities
    /// (resources excluded from shares, initial role weights).
    public typealias Configuration = DRFAllocator.Configuration

    /// The policy's name in logs, metrics and explanations: `priority`.
    public var name: String { "priority" }
    /// `true`: a framework's unmet demand may take resources from lower priorities.
    public var preempts: Bool { true }

    private var ledger: ShareLedger
    private var weights: [Role: Double]
    private var clients: [Client?] = []
    private var order = RankedList<PriorityKey>()
    /// Set when cluster totals changed: every share is stale and is recomputed before the next pick.
    private var needsResort = false

    private struct Client: Sendable {
        var candidate: AllocationCandidate
        var allocation: [Int64] = []
        /// Dominant share, not weighted.
        var share: Double = 0
        var key: PriorityKey
    }

    /// Creates a priority policy.
    public init(configuration: Configuration = Configuration()) {
        ledger = ShareLedger(excluded: configuration.excludedResources)
        weights = configuration.weights
    }

    // MARK: Notifications

    /// Registers a candidate with nothing allocated; it ranks by its priority, then share 0.
    ///
    /// Called by the engine when a framework registers or gains a role.
    /// Adding a candidate ID that is already registered is a programming error and traps.
    public mutating func addCandidate(_ candidate: AllocationCandidate) {
        let index = candidate.id.index
        if clients.count <= index { clients.append(contentsOf: repeatElement(nil, count: index + 1 - clients.count)) }
        precondition(clients[index] == nil, "PriorityAllocator: candidate \(candidate.id) added twice")
        let key = PriorityKey(priority: candidate.priority, share: 0, registrationOrder: candidate.registrationOrder)
        clients[index] = Client(candidate: candidate, key: key)
        order.insert(index, key: key)
    }

    /// Applies a changed priority (or role): the candidate moves to its new place and keeps
    /// its allocation.
    ///
    /// Called by the engine on ``AllocationEngine/updateFramework(_:info:)``. Unknown
    /// candidates are ignored. The new priority also applies to preemption at once.
    public mutating func updateCandidate(_ candidate: AllocationCandidate) {
        guard var client = clients[safe: candidate.id.index] ?? nil else { return }
        client.candidate.priority = candidate.priority
        client.candidate.role = candidate.role
        client.candidate.framework = candidate.framework
        let key = key(for: client)
        order.update(candidate.id.index, from: client.key, to: key)
        client.key = key
        clients[candidate.id.index] = client
    }

    /// Forgets a candidate; the engine has already recovered its allocations.
    ///
    /// Unknown candidates are ignored; the ID may be reused by a later ``addCandidate(_:)``.
    public mutating func removeCandidate(_ id: CandidateID) {
        guard let client = clients[safe: id.index] ?? nil else { return }
        order.remove(id.index, key: client.key)
        clients[id.index] = nil
    }

    /// Adds an agent's resources to the cluster total, the denominator of every share.
    ///
    /// Shares are recomputed lazily, before the next ``pick(for:isEligible:)``.
    public mutating func addAgent(_ agent: AgentID, total: Resources) {
        ledger.addTotal(total)
        needsResort = true
    }

    /// Removes an agent's resources from the cluster total; its allocations were already recovered.
    ///
    /// Shares are recomputed lazily, before the next ``pick(for:isEligible:)``.
    public mutating func removeAgent(_ agent: AgentID, total: Resources) {
        ledger.addTotal(total, sign: -1)
        needsResort = true
    }

    /// Counts `resources` as held by `candidate`, which raises its share among its priority.
    ///
    /// Unknown candidates are ignored. Moves one candidate in the order.
    public mutating func allocated(_ resources: Resources, to candidate: CandidateID, on agent: AgentID) {
        change(candidate, by: resources, sign: 1)
    }

    /// Counts `resources` as returned by `candidate`, which lowers its share among its priority.
    ///
    /// Unknown candidates are ignored. Moves one candidate in the order.
    public mutating func recovered(_ resources: Resources, from candidate: CandidateID, on agent: AgentID) {
        change(candidate, by: resources, sign: -1)
    }

    /// Sets a role's weight: its candidates' shares are divided by it when compared with
    /// others of the same priority.
    ///
    /// The engine validates `weight` (positive, finite); a non-positive weight counts as 1.
    /// Moves every candidate of `role`.
    public mutating func setWeight(_ weight: Double, for role: Role) {
        weights[role] = weight
        guard !needsResort else { return }
        for index in clients.indices {
            guard var client = clients[index], client.candidate.role == role else { continue }
            let key = key(for: client)
            order.update(index, from: client.key, to: key)
            client.key = key
            clients[index] = client
        }
    }

    // MARK: Decisions

    /// Returns the first eligible candidate in order: highest priority, then lowest weighted
    /// dominant share, then earliest registration; `nil` when none is eligible.
    ///
    /// Asks `isEligible` in that order and stops at the first `true`, so it costs O(1)
    /// when the first candidate is eligible.
    public mutating func pick(for agent: AgentResources, isEligible: (CandidateID) -> Bool) -> CandidateID? {
        if needsResort { resort() }
        return order.firstID { isEligible(CandidateID($0)) }.map(CandidateID.init)
    }

    /// Chooses tasks of strictly lower priority than `candidate` to kill so that each request
    /// of its unmet `demand` fits on one agent.
    ///
    /// Called by the engine for a framework whose declared demand cannot be met from
    /// free resources; `running` lists other frameworks' tasks not already being
    /// preempted and `agents` every agent, its `free` counting pending kills as freed.
    ///
    /// For each request, in order (a request's `agentID` pins it to that agent):
    /// 1. On each agent, what the requester could use (`free`, plus what earlier
    ///    requests' victims free there, minus what earlier requests placed there,
    ///    limited to resources allocatable to its role) is topped up with
    ///    lower-priority tasks there, lowest priority first, then youngest (highest
    ///    ``RunningTask/launchOrder``), until it contains the request.
    /// 2. That set is pruned to a minimal one: walking back from the last task
    ///    added, a task is dropped when the request still fits without it, so the
    ///    higher-priority and older tasks are spared first and no remaining victim
    ///    can be dropped.
    /// 3. The agent needing the fewest kills wins; ties go to the agent whose most
    ///    important victim has the lowest priority, then whose oldest victim is
    ///    youngest, then to the smaller agent ID.
    ///
    /// A task is chosen at most once. After all requests, each agent's victims are
    /// pruned again against everything placed there, since a large victim chosen for
    /// a later request can make a small one chosen for an earlier request redundant.
    /// The set is minimal (no victim can be spared), not necessarily the smallest
    /// possible: that is a multi-dimensional knapsack problem, and Kubernetes makes the
    /// same trade.
    ///
    /// Requests are independent: one that cannot be met even by killing every
    /// lower-priority task (or that names an unknown agent) adds no victims, and
    /// the others still get theirs. Tasks of equal or higher priority, of unknown
    /// candidates, or on unknown agents are never chosen. The answer depends only
    /// on the arguments and the policy's state, not on the order of `running` or
    /// `agents`. Each ``Preemption`` names the requesting framework as beneficiary.
    public func victims(for demand: [ResourceRequest], of candidate: CandidateID, running: [RunningTask], agents: [AgentResources]) -> [Preemption] {
        guard let requester = clients[safe: candidate.index] ?? nil else { return [] }
        let priority = requester.candidate.priority
        let role = requester.candidate.role

        // Lower-priority tasks by agent, in the order they are preferred as victims.
        var byAgent: [AgentID: [Victim]] = [:]
        var seen = Set<Victim.Key>()
        for task in running {
            guard let owner = clients[safe: task.candidate.index] ?? nil,
                owner.candidate.framework == task.framework,
                owner.candidate.priority < priority
            else { continue }
            let usable = task.resources.allocatable(to: role)
            guard !usable.isEmpty, seen.insert(Victim.Key(task)).inserted else { continue }
            byAgent[task.agentID, default: []].append(Victim(task: task, priority: owner.candidate.priority, usable: usable))
        }
        for agent in byAgent.keys { byAgent[agent]!.sort(by: Victim.precedes) }

        var views: [AgentID: AgentResources] = [:]
        for agent in agents.sorted(by: { $0.id < $1.id }) where views[agent.id] == nil { views[agent.id] = agent }
        let agentIDs = views.keys.sorted()

        var chosen: [AgentID: [Victim]] = [:]
        var chosenKeys = Set<Victim.Key>()
        var placed: [AgentID: Resources] = [:]
        var choiceOrder: [AgentID] = []

        for request in demand where !request.resources.isEmpty {
            let eligibleAgents = request.agentID.map { views[$0] == nil ? [] : [$0] } ?? agentIDs
            var best: Plan?
            for agentID in eligibleAgents {
                let view = views[agentID]!
                let kept = chosen[agentID] ?? []
                var available = view.free.allocatable(to: role)
                for victim in kept { available += victim.usable }
                available -= placed[agentID] ?? Resources()
                let pool = (byAgent[agentID] ?? []).filter { !chosenKeys.contains(Victim.Key($0.task)) }
                guard let plan = Self.plan(request.resources, on: agentID, available: available, pool: pool) else { continue }
                if best.map({ plan.isBetter(than: $0) }) ?? true { best = plan }
                if plan.victims.isEmpty { break }
            }
            guard let best else { continue }
            if chosen[best.agent] == nil { choiceOrder.append(best.agent) }
            chosen[best.agent, default: []] += best.victims
            for victim in best.victims { chosenKeys.insert(Victim.Key(victim.task)) }
            placed[best.agent, default: Resources()] += request.resources
        }

        // Prune each agent's victims against everything placed there.
        var preemptions: [Preemption] = []
        for agentID in choiceOrder {
            guard let victims = chosen[agentID], !victims.isEmpty, let need = placed[agentID] else { continue }
            let base = views[agentID]!.free.allocatable(to: role)
            let kept = Self.prune(victims, base: base, need: need, order: victims.sorted(by: Victim.precedes))
            preemptions += kept.map { Preemption(task: $0.task, beneficiary: requester.candidate.framework) }
        }
        return preemptions
    }

    /// Why `candidate` received nothing, given who did: a higher-priority recipient
    /// (``AllocationExplanation/lowerPriority(than:priority:theirPriority:)``), else an
    /// equal-priority recipient ranked ahead by weighted dominant share
    /// (``AllocationExplanation/outranked(by:share:theirShare:)``).
    ///
    /// Called by ``AllocationEngine/explain(_:)`` with the last cycle's recipients.
    /// Recipients of the same framework and of lower priority are not reasons (a
    /// lower-priority recipient means this candidate was ineligible, which the engine
    /// explains). Among several, the highest priority, then the lowest share, is named.
    /// Shares are weighted by role, as the order compares them. Unknown candidates get `[]`.
    public func explain(_ candidate: CandidateID, recipients: [CandidateID]) -> [AllocationExplanation] {
        guard let client = clients[safe: candidate.index] ?? nil else { return [] }
        let mine = client.candidate.priority
        let ahead = recipients.compactMap { clients[safe: $0.index] ?? nil }
            .filter { $0.candidate.framework != client.candidate.framework && $0.candidate.priority >= mine }
            .min { $0.key < $1.key }
        guard let ahead else { return [] }
        if ahead.candidate.priority > mine {
            return [.lowerPriority(than: ahead.candidate.framework, priority: mine, theirPriority: ahead.candidate.priority)]
        }
        return [.outranked(by: ahead.candidate.framework, share: client.key.share, theirShare: ahead.key.share)]
    }

    // MARK: Queries

    /// The candidate's current dominant share (not weighted), or `nil` if it is unknown;
    /// for explanations and tests.
    public func share(of candidate: CandidateID) -> Double? {
        guard let client = clients[safe: candidate.index] ?? nil else { return nil }
        return needsResort ? ledger.dominantShare(client.allocation) : client.share
    }

    /// The candidate's priority as the policy last heard it, or `nil` if it is unknown.
    public func priority(of candidate: CandidateID) -> Int? {
        (clients[safe: candidate.index] ?? nil)?.candidate.priority
    }

    // MARK: Bookkeeping

    private mutating func change(_ candidate: CandidateID, by resources: Resources, sign: Int64) {
        guard var client = clients[safe: candidate.index] ?? nil else { return }
        ledger.apply(resources, to: &client.allocation, sign: sign)
        if !needsResort {
            client.share = ledger.dominantShare(client.allocation)
            let key = key(for: client)
            order.update(candidate.index, from: client.key, to: key)
            client.key = key
        }
        clients[candidate.index] = client
    }

    /// The client's sort key from its candidate and its (current) unweighted share.
    private func key(for client: Client) -> PriorityKey {
        let weight = weights[client.candidate.role] ?? 1
        return PriorityKey(
            priority: client.candidate.priority,
            share: client.share / (weight > 0 ? weight : 1),
            registrationOrder: client.candidate.registrationOrder)
    }

    /// Recomputes every share after the cluster's totals changed.
    private mutating func resort() {
        needsResort = false
        var keys: [(id: Int, key: PriorityKey)] = []
        for index in clients.indices {
            guard var client = clients[index] else { continue }
            client.share = ledger.dominantShare(client.allocation)
            client.key = key(for: client)
            keys.append((index, client.key))
            clients[index] = client
        }
        order.rebuild(keys)
    }

    // MARK: Preemption helpers

    /// A lower-priority task that may be killed, with what of it the requester could use.
    private struct Victim {
        struct Key: Hashable {
            var framework: FrameworkID
            var task: TaskID
            init(_ running: RunningTask) {
                framework = running.framework
                task = running.taskID
            }
        }

        var task: RunningTask
        var priority: Int
        /// The task's resources allocatable to the requester's role.
        var usable: Resources

        /// Kill preference: lower priority, then younger, then framework and task ID.
        static func precedes(_ lhs: Victim, _ rhs: Victim) -> Bool {
            if lhs.priority != rhs.priority { return lhs.priority < rhs.priority }
            if lhs.task.launchOrder != rhs.task.launchOrder { return lhs.task.launchOrder > rhs.task.launchOrder }
            if lhs.task.framework != rhs.task.framework { return lhs.task.framework < rhs.task.framework }
            return lhs.task.taskID < rhs.task.taskID
        }
    }

    /// One agent's minimal victims for one request.
    private struct Plan {
        var agent: AgentID
        /// In kill-preference order.
        var victims: [Victim]

        /// Fewer kills, then a less important most-important victim, then a younger oldest victim.
        /// Equal plans keep the first found, which is the smaller agent ID.
        func isBetter(than other: Plan) -> Bool {
            if victims.count != other.victims.count { return victims.count < other.victims.count }
            let mine = victims.map(\.priority).max() ?? .min
            let theirs = other.victims.map(\.priority).max() ?? .min
            if mine != theirs { return mine < theirs }
            let myOldest = victims.map(\.task.launchOrder).min() ?? .max
            let theirOldest = other.victims.map(\.task.launchOrder).min() ?? .max
            if myOldest != theirOldest { return myOldest > theirOldest }
            return agent < other.agent
        }
    }

    /// Greedy then pruned: the victims from `pool` (in preference order) that make `available`
    /// contain `request`, or `nil` if even all of them do not.
    private static func plan(_ request: Resources, on agent: AgentID, available: Resources, pool: [Victim]) -> Plan? {
        if available.contains(request) { return Plan(agent: agent, victims: []) }
        var total = available
        var taken: [Victim] = []
        for victim in pool {
            total += victim.usable
            taken.append(victim)
            if total.contains(request) {
                return Plan(agent: agent, victims: prune(taken, base: available, need: request, order: taken))
            }
        }
        return nil
    }

    /// Drops victims that are not needed for `base` plus the rest to contain `need`, trying the
    /// last of `order` (the most important, oldest) first.
    ///
    /// One pass suffices for minimality: a victim kept was needed with a superset of the
    /// final set, so it is needed with the final set too (`contains` is monotone). The
    /// result keeps the order of `victims`.
    private static func prune(_ victims: [Victim], base: Resources, need: Resources, order: [Victim]) -> [Victim] {
        var kept = Set(victims.map { Victim.Key($0.task) })
        for candidate in order.reversed() {
            let key = Victim.Key(candidate.task)
            var without = base
            for victim in victims {
                let other = Victim.Key(victim.task)
                if other != key, kept.contains(other) { without += victim.usable }
            }
            if without.contains(need) { kept.remove(key) }
        }
        return victims.filter { kept.contains(Victim.Key($0.task)) }
    }
}

/// The priority policy's sort key: higher priority first (as if the key held the negated
/// priority, without overflow at `Int.min`), then lower weighted share, then older registration.
struct PriorityKey: Comparable, Sendable {
    var priority: Int
    var share: Double
    var registrationOrder: UInt64

    static func < (lhs: PriorityKey, rhs: PriorityKey) -> Bool {
        if lhs.priority != rhs.priority { return lhs.priority > rhs.priority }
        if lhs.share != rhs.share { return lhs.share < rhs.share }
        return lhs.registrationOrder < rhs.registrationOrder
    }
}
