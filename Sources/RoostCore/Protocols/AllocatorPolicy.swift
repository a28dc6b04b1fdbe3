/// Decides which framework is offered an agent's free resources next: the *policy* half of allocation.
///
/// Allocation is split as in Mesos. The master's allocation engine owns the
/// *mechanism*: which agents have free resources, offer filters from declines,
/// suppression, minimum allocatable sizes, offer generation and rescinds. The
/// policy owns only the order: for one agent, which eligible candidate
/// (framework, role) should receive its free resources next. DRF keeps a
/// heap keyed by weighted dominant share, FIFO a queue in registration order,
/// priority a heap keyed by (priority, share).
///
/// The engine keeps the policy informed incrementally (frameworks and agents
/// added and removed, resources allocated and recovered), so a `pick` costs
/// O(log frameworks), not a sort per agent.
///
/// ## Contract
/// - **Pure and synchronous.** No I/O, no locks, no sleeping, no clock reads.
///   The same sequence of calls gives the same answers; that is what makes the
///   simulator and the conformance suite possible.
/// - **Honour eligibility.** ``pick(for:isEligible:)`` may return only a
///   candidate for which `isEligible` returned `true`. The engine's eligibility
///   check covers suppression, decline filters and role reservations, so a
///   policy that consults it supports suppress/revive and filters for free.
/// - **Work-conserving.** If some registered candidate is eligible, `pick`
///   returns one (a policy that wants to hold resources back returns `nil`
///   and says why in ``explain(_:)``).
/// - **Single owner.** The engine calls a policy from one task at a time; it is
///   a value type with `mutating` methods, so a snapshot is a copy.
///
/// Swapping policies at run time builds the new policy by replaying the current
/// frameworks, agents and allocations into it.
public protocol AllocatorPolicy: Sendable {
    /// A short name for logs, metrics and explanations, such as `drf`.
    var name: String { get }

    /// A candidate (a framework under one of its roles) joined.
    mutating func addCandidate(_ candidate: AllocationCandidate)
    /// A candidate's priority changed; its allocation is kept.
    mutating func updateCandidate(_ candidate: AllocationCandidate)
    /// A candidate left; its allocations have already been recovered.
    /// Its ``CandidateID`` may be reused by a later candidate.
    mutating func removeCandidate(_ id: CandidateID)

    /// An agent joined; `total` adds to the cluster's capacity (the denominator of shares).
    mutating func addAgent(_ agent: AgentID, total: Resources)
    /// An agent left; its allocations have already been recovered.
    mutating func removeAgent(_ agent: AgentID, total: Resources)

    /// `resources` on `agent` were offered to (or are used by) a candidate.
    mutating func allocated(_ resources: Resources, to candidate: CandidateID, on agent: AgentID)
    /// `resources` on `agent` came back from a candidate (declined, unused, task ended).
    mutating func recovered(_ resources: Resources, from candidate: CandidateID, on agent: AgentID)

    /// Chooses who receives `agent`'s free resources next, or `nil` when no candidate should.
    ///
    /// Must return only a candidate for which `isEligible` is `true`, and should
    /// ask `isEligible` in its order of preference, stopping at the first `true`.
    mutating func pick(for agent: AgentResources, isEligible: (CandidateID) -> Bool) -> CandidateID?

    /// A role's weight changed (default 1). Policies that ignore weights need not implement it.
    mutating func setWeight(_ weight: Double, for role: Role)

    /// Whether this policy preempts: only then does the engine work out unmet demand and ask
    /// ``victims(for:of:running:agents:)`` each cycle. Default `false`; a policy that
    /// implements `victims` must return `true` here.
    var preempts: Bool { get }

    /// Tasks to kill so that a candidate's unmet `demand` (from its `request` call) can be met,
    /// if this policy preempts.
    ///
    /// The engine asks only when the demand cannot be met from free resources.
    /// `running` lists other candidates' tasks that hold resources and `agents`
    /// the agents with their free resources. Return no more than needed, and
    /// only tasks this policy ranks below `candidate`. The default preempts nothing.
    func victims(for demand: [ResourceRequest], of candidate: CandidateID, running: [RunningTask], agents: [AgentResources]) -> [Preemption]

    /// Why `candidate` received nothing in the last cycle, as far as the policy is concerned,
    /// given who did receive resources (`recipients`).
    ///
    /// The engine adds its own reasons (filters, suppression, too small). The default says nothing.
    func explain(_ candidate: CandidateID, recipients: [CandidateID]) -> [AllocationExplanation]
}

extension AllocatorPolicy {
    /// Default: ignores the change (for policies that do not use priorities).
    public mutating func updateCandidate(_ candidate: AllocationCandidate) {}
    /// Default: ignores weights.
    public mutating func setWeight(_ weight: Double, for role: Role) {}
    /// Default: `false`, the policy never preempts.
    public var preempts: Bool { false }
    /// Default: preempts nothing.
    public func victims(for demand: [ResourceRequest], of candidate: CandidateID, running: [RunningTask], agents: [AgentResources]) -> [Preemption] { [] }
    /// Default: no policy-specific reasons.
    public func explain(_ candidate: CandidateID, recipients: [CandidateID]) -> [AllocationExplanation] { [] }
}

/// A small dense number the allocation engine gives each candidate, so policies can keep
/// their state in arrays and eligibility checks cost no hashing.
///
/// Stable while the candidate is registered; reused after it is removed.
public struct CandidateID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The index, from 0 up to the number of candidates ever registered at once.
    public var index: Int

    /// Creates a candidate ID.
    public init(_ index: Int) { self.index = index }

    public static func < (lhs: CandidateID, rhs: CandidateID) -> Bool { lhs.index < rhs.index }
    public var description: String { "#\(index)" }

    public init(from decoder: any Decoder) throws {
        index = try decoder.singleValueContainer().decode(Int.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(index)
    }
}

/// Who resources are allocated to: a framework, under one of its roles.
///
/// JSON fields: `id`, `framework`, `role`, `priority`, `registrationOrder`.
public struct AllocationCandidate: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The engine's dense number for this candidate.
    public var id: CandidateID
    /// The framework.
    public var framework: FrameworkID
    /// The role the resources are allocated under.
    public var role: Role
    /// The framework's priority (``FrameworkInfo/priority``): higher is more important.
    public var priority: Int
    /// Increases with every registration: the deterministic tie-breaker (older first).
    public var registrationOrder: UInt64

    /// Creates a candidate.
    public init(id: CandidateID, framework: FrameworkID, role: Role = .any, priority: Int = 0, registrationOrder: UInt64) {
        self.id = id
        self.framework = framework
        self.role = role
        self.priority = priority
        self.registrationOrder = registrationOrder
    }

    public var description: String { "\(framework)(\(role))" }
}

/// One agent as the policy sees it when picking: who it is, its size and what is free.
public struct AgentResources: Hashable, Sendable {
    /// The agent.
    public var id: AgentID
    /// Its host name.
    public var hostname: String
    /// Its attributes (rack, zone…), for policies that place by them.
    public var attributes: [String: String]
    /// Everything the agent has.
    public var total: Resources
    /// What is neither offered nor used right now.
    public var free: Resources

    /// Creates an agent view.
    public init(id: AgentID, hostname: String, attributes: [String: String] = [:], total: Resources, free: Resources) {
        self.id = id
        self.hostname = hostname
        self.attributes = attributes
        self.total = total
        self.free = free
    }
}

/// A task holding resources, as a preemption candidate.
///
/// JSON fields: `taskID`, `framework`, `candidate`, `agentID`, `resources`, `launchOrder`,
/// `killGracePeriodSeconds`.
public struct RunningTask: Hashable, Sendable, Codable {
    /// The task.
    public var taskID: TaskID
    /// Its framework.
    public var framework: FrameworkID
    /// The candidate (framework and role) its resources are allocated to.
    public var candidate: CandidateID
    /// Where it runs.
    public var agentID: AgentID
    /// What it holds.
    public var resources: Resources
    /// Increases with every launch in the cluster: larger is younger.
    public var launchOrder: UInt64
    /// How long its kill waits between SIGTERM and SIGKILL.
    public var killGracePeriod: Duration

    /// Creates a running-task description.
    public init(taskID: TaskID, framework: FrameworkID, candidate: CandidateID, agentID: AgentID, resources: Resources, launchOrder: UInt64, killGracePeriod: Duration) {
        self.taskID = taskID
        self.framework = framework
        self.candidate = candidate
        self.agentID = agentID
        self.resources = resources
        self.launchOrder = launchOrder
        self.killGracePeriod = killGracePeriod
    }

    enum CodingKeys: String, CodingKey { case taskID, framework, candidate, agentID, resources, launchOrder, killGracePeriodSeconds }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        taskID = try c.decode(TaskID.self, forKey: .taskID)
        framework = try c.decode(FrameworkID.self, forKey: .framework)
        candidate = try c.decode(CandidateID.self, forKey: .candidate)
        agentID = try c.decode(AgentID.self, forKey: .agentID)
        resources = try c.decode(Resources.self, forKey: .resources)
        launchOrder = try c.decode(UInt64.self, forKey: .launchOrder)
        killGracePeriod = try c.decodeSeconds(forKey: .killGracePeriodSeconds)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(taskID, forKey: .taskID)
        try c.encode(framework, forKey: .framework)
        try c.encode(candidate, forKey: .candidate)
        try c.encode(agentID, forKey: .agentID)
        try c.encode(resources, forKey: .resources)
        try c.encode(launchOrder, forKey: .launchOrder)
        try c.encodeSeconds(killGracePeriod, forKey: .killGracePeriodSeconds)
    }
}

/// A policy's decision to kill a task so that another framework's demand can be met.
///
/// The master carries it out: kills `task` with its grace period and reports
/// it with reason ``TaskStatus/Reason/preempted``.
public struct Preemption: Hashable, Sendable, Codable {
    /// The task to kill.
    public var task: RunningTask
    /// The framework the freed resources are meant for.
    public var beneficiary: FrameworkID

    /// Creates a preemption decision.
    public init(task: RunningTask, beneficiary: FrameworkID) {
        self.task = task
        self.beneficiary = beneficiary
    }
}

/// One reason a framework received nothing in an allocation cycle: the answer to
/// "why isn't my task launching?".
///
/// JSON: `{"outranked": {"by": "f-2", "share": 0.5, "theirShare": 0.25}}` and so on.
public enum AllocationExplanation: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The framework suppressed offers and has not revived.
    case suppressed
    /// Its decline filters withheld `agents` agents that had free resources.
    case filtered(agents: Int)
    /// Other candidates with a lower dominant share ranked ahead of it and took what was free.
    case outranked(by: FrameworkID, share: Double, theirShare: Double)
    /// An earlier-registered framework (FIFO) took what was free.
    case queuedBehind(FrameworkID)
    /// A framework with a higher priority took what was free.
    case lowerPriority(than: FrameworkID, priority: Int, theirPriority: Int)
    /// No agent had enough free `resource` for its demand (or the minimum allocatable size).
    case insufficient(resource: String)
    /// Its tasks were preempted in favour of `by`.
    case preempted(by: FrameworkID)
    /// It has no outstanding demand and declined everything offered.
    case noDemand
}

extension AllocationExplanation {
    /// The reason in words, for status lines: `outranked by fw-2 (dominant share 0.40 against 0.25)`.
    public var description: String {
        func share(_ value: Double) -> String {
            let hundredths = Int((value * 100).rounded())
            return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
        }
        switch self {
        case .suppressed: return "the framework suppressed offers"
        case .filtered(let agents): return "its decline filters hold back \(agents) agent(s) with free resources"
        case .outranked(let other, let mine, let theirs):
            return "outranked by \(other) (dominant share \(share(mine)) against \(share(theirs)))"
        case .queuedBehind(let other): return "queued behind \(other), which registered earlier (FIFO)"
        case .lowerPriority(let other, let mine, let theirs): return "\(other) has a higher priority (\(theirs) against \(mine))"
        case .insufficient(let resource): return "no agent has enough free \(resource)"
        case .preempted(let other): return "its tasks were preempted for \(other)"
        case .noDemand: return "no outstanding demand"
        }
    }
}
