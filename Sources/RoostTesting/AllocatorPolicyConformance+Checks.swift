import RoostAllocators
import RoostCore

/// The policy the scenario gives the engine: it forwards every call to the policy
/// under test and to a twin built the same way, and checks each `pick`.
///
/// On every `pick` the engine makes, it first probes copies of both policies
/// with an `isEligible` that allows a random subset of the registered and
/// removed candidates (or only candidates that reuse a removed ID), then asks
/// the real policy and its twin with the engine's answers, memoised. An answer
/// that the engine would turn into an endless loop (a candidate with nothing
/// offerable on the agent) or silently drop (an unregistered candidate) is
/// reported and replaced by `nil`; any other answer is passed through, so the
/// scenario also sees what the engine does with it.
struct CheckedPolicy: AllocatorPolicy {
    private var policy: any AllocatorPolicy
    private var twin: any AllocatorPolicy
    private let log: ConformanceLog
    private var random: SplitMix64
    private var registered: [CandidateID: AllocationCandidate] = [:]
    private var retired: Set<CandidateID> = []
    private var everRegistered: Set<CandidateID> = []
    /// Candidates that reuse a removed ID and were not yet probed alone.
    private var reused: [CandidateID] = []

    init(policy: any AllocatorPolicy, twin: any AllocatorPolicy, log: ConformanceLog, seed: UInt64) {
        self.policy = policy
        self.twin = twin
        self.log = log
        random = SplitMix64(seed: seed)
    }

    var name: String { policy.name }

    mutating func addCandidate(_ candidate: AllocationCandidate) {
        policy.addCandidate(candidate)
        twin.addCandidate(candidate)
        registered[candidate.id] = candidate
        retired.remove(candidate.id)
        if !everRegistered.insert(candidate.id).inserted { reused.append(candidate.id) }
    }

    mutating func updateCandidate(_ candidate: AllocationCandidate) {
        policy.updateCandidate(candidate)
        twin.updateCandidate(candidate)
        registered[candidate.id] = candidate
    }

    mutating func removeCandidate(_ id: CandidateID) {
        policy.removeCandidate(id)
        twin.removeCandidate(id)
        registered[id] = nil
        retired.insert(id)
        reused.removeAll { $0 == id }
    }

    mutating func addAgent(_ agent: AgentID, total: Resources) {
        policy.addAgent(agent, total: total)
        twin.addAgent(agent, total: total)
    }

    mutating func removeAgent(_ agent: AgentID, total: Resources) {
        policy.removeAgent(agent, total: total)
        twin.removeAgent(agent, total: total)
    }

    mutating func allocated(_ resources: Resources, to candidate: CandidateID, on agent: AgentID) {
        policy.allocated(resources, to: candidate, on: agent)
        twin.allocated(resources, to: candidate, on: agent)
    }

    mutating func recovered(_ resources: Resources, from candidate: CandidateID, on agent: AgentID) {
        policy.recovered(resources, from: candidate, on: agent)
        twin.recovered(resources, from: candidate, on: agent)
    }

    mutating func setWeight(_ weight: Double, for role: Role) {
        policy.setWeight(weight, for: role)
        twin.setWeight(weight, for: role)
    }

    var preempts: Bool { policy.preempts }

    func victims(for demand: [ResourceRequest], of candidate: CandidateID, running: [RunningTask], agents: [AgentResources]) -> [Preemption] {
        policy.victims(for: demand, of: candidate, running: running, agents: agents)
    }

    func explain(_ candidate: CandidateID, recipients: [CandidateID]) -> [AllocationExplanation] {
        policy.explain(candidate, recipients: recipients)
    }

    mutating func pick(for agent: AgentResources, isEligible: (CandidateID) -> Bool) -> CandidateID? {
        probe(agent)
        var answers: [CandidateID: Bool] = [:]
        func eligible(_ id: CandidateID) -> Bool {
            if let known = answers[id] { return known }
            let answer = isEligible(id)
            answers[id] = answer
            return answer
        }
        let picked = policy.pick(for: agent, isEligible: eligible)
        let twinPicked = twin.pick(for: agent, isEligible: eligible)
        if picked != twinPicked {
            log.report(.deterministic, "two fresh policies fed the same calls picked \(describe(picked)) and \(describe(twinPicked)) for agent \(agent.id)")
        }
        guard let picked else {
            if log.isChecking(.workConserving), let idle = registered.keys.sorted().first(where: eligible) {
                log.report(.workConserving, "pick for agent \(agent.id) returned nil although \(describe(idle)) is eligible (free: \(agent.free))")
            }
            return nil
        }
        guard let candidate = registered[picked] else {
            if retired.contains(picked) {
                log.report(.forgetsRemovedCandidates, "pick for agent \(agent.id) returned \(picked), which was removed")
            } else {
                log.report(.honoursEligibility, "pick for agent \(agent.id) returned \(picked), which was never registered")
            }
            return nil
        }
        guard answers[picked] == true else {
            let why = answers[picked] == nil ? "without asking isEligible about it" : "although isEligible said false"
            log.report(.honoursEligibility, "pick for agent \(agent.id) returned \(describe(picked)) \(why)")
            // The engine would offer nothing, forever, to a candidate with nothing offerable here.
            return agent.free.allocatable(to: candidate.role).isEmpty ? nil : picked
        }
        return picked
    }

    /// Calls `pick` on copies of the policy and its twin with a random subset of
    /// candidates allowed, removed ones included.
    private mutating func probe(_ agent: AgentResources) {
        let allowed: Set<CandidateID>
        if !reused.isEmpty, random.chance(50) {
            allowed = Set(reused)
            reused.removeAll()
        } else {
            allowed = Set(random.subset(of: (Array(registered.keys) + Array(retired)).sorted()))
        }
        var asked: Set<CandidateID> = []
        func eligible(_ id: CandidateID) -> Bool {
            asked.insert(id)
            return allowed.contains(id)
        }
        var copy = policy
        let picked = copy.pick(for: agent, isEligible: eligible)
        var twinCopy = twin
        let twinPicked = twinCopy.pick(for: agent, isEligible: eligible)
        let allowedText = "{\(allowed.sorted().map(describe).joined(separator: ", "))}"
        if picked != twinPicked {
            log.report(.deterministic, "two fresh policies fed the same calls picked \(describe(picked)) and \(describe(twinPicked)) for agent \(agent.id) with \(allowedText) eligible")
        }
        guard let picked else {
            if log.isChecking(.workConserving), let idle = allowed.filter({ registered[$0] != nil }).min() {
                log.report(.workConserving, "pick for agent \(agent.id) returned nil with \(allowedText) eligible, \(describe(idle)) among them")
            }
            return
        }
        if retired.contains(picked) {
            log.report(.forgetsRemovedCandidates, "pick for agent \(agent.id) returned \(picked), which was removed, when isEligible allowed \(allowedText)")
        } else if !asked.contains(picked) || !allowed.contains(picked) {
            let why = asked.contains(picked) ? "although isEligible said false" : "without asking isEligible about it"
            log.report(.honoursEligibility, "pick for agent \(agent.id) returned \(describe(picked)) \(why); only \(allowedText) were eligible")
        }
    }

    private func describe(_ id: CandidateID?) -> String {
        guard let id else { return "nil" }
        guard let candidate = registered[id] else { return id.description }
        return "\(id) \(candidate)"
    }
}

/// One randomized scenario: an engine driving a ``CheckedPolicy``, a shadow of what every
/// framework holds, and the checks run after every step.
///
/// Everything random comes from one ``SplitMix64`` seeded with the scenario's seed,
/// and nothing iterates a dictionary in hash order, so a seed replays exactly.
struct ConformanceScenario {
    /// A framework under one role: what the engine calls a candidate.
    private struct Holder: Hashable, CustomStringConvertible {
        var framework: FrameworkID
        var role: Role
        var description: String { "\(framework)(\(role))" }
    }

    /// Resources a holder keeps on an agent: an outstanding offer or a launched task.
    private struct Holding {
        var holder: Holder
        var agent: AgentID
        var resources: Resources
    }

    /// A decline filter as the scenario remembers it.
    private struct Filter {
        var holder: Holder
        var agent: AgentID
        var refused: Resources
        var expiresAt: Duration
    }

    private static let agentNames = (1...5).map { AgentID("a\($0)") }
    private static let frameworkNames = (1...6).map { FrameworkID("f\($0)") }
    private static let roles: [Role] = ["*", "web", "batch", "eng/ml"]
    /// `eng` reservations are offered to `eng/ml` (hierarchical roles).
    private static let reservedRoles: [Role] = ["web", "batch", "eng"]
    private static let refusals: [Duration?] = [nil, .zero, .seconds(1), .seconds(5), .seconds(30), .seconds(3600)]

    let log: ConformanceLog
    private let seed: UInt64
    private var random: SplitMix64
    private var engine: AllocationEngine
    private var now: Duration = .zero
    private var step = 0
    private var agents: [AgentID: Resources] = [:]
    private var frameworks: [FrameworkID: [Role]] = [:]
    private var offers: [Holding] = []
    private var tasks: [Holding] = []
    private var suppressed: Set<Holder> = []
    private var filters: [Filter] = []
    private var replacements: UInt64 = 0

    init(seed: UInt64, configuration: AllocatorPolicyConformance.Configuration, makePolicy: () -> any AllocatorPolicy) {
        self.seed = seed
        log = ConformanceLog(seed: seed, skipping: configuration.skipping)
        random = SplitMix64(seed: seed)
        engine = AllocationEngine(policy: CheckedPolicy(policy: makePolicy(), twin: makePolicy(), log: log, seed: ~seed))
    }

    /// Sets up three agents and three frameworks, then runs `steps` random operations,
    /// checking the books after each.
    mutating func run(steps: Int, makePolicy: () -> any AllocatorPolicy) {
        for _ in 0..<3 { addAgent() }
        for _ in 0..<3 { addFramework() }
        checkBooks()
        for next in 0..<steps {
            step = next + 1
            perform(random.int(in: 0...99), makePolicy: makePolicy)
            checkBooks()
        }
    }

    private mutating func perform(_ roll: Int, makePolicy: () -> any AllocatorPolicy) {
        switch roll {
        case 24..<38 where !offers.isEmpty: launch()
        case 38..<50 where !offers.isEmpty: decline()
        case 50..<57 where !tasks.isEmpty: finishTask()
        case 57..<62 where !frameworks.isEmpty: suppressOrRevive(suppress: true)
        case 62..<67 where !frameworks.isEmpty: suppressOrRevive(suppress: false)
        case 67..<72 where frameworks.count < Self.frameworkNames.count: addFramework()
        case 72..<76 where !frameworks.isEmpty: removeFramework()
        case 76..<79 where !frameworks.isEmpty: updateFramework()
        case 79..<83 where agents.count < Self.agentNames.count: addAgent()
        case 83..<86 where !agents.isEmpty: removeAgent()
        case 86..<94: advanceTime()
        case 94..<97: replacePolicy(makePolicy)
        case 97..<100: setWeight()
        default: allocate()
        }
    }

    // MARK: Operations

    private mutating func allocate() {
        log.begin(step: step, "allocate at \(Self.seconds(now))")
        var freeBefore: [AgentID: Resources] = [:]
        for agent in agents.keys { freeBefore[agent] = engine.free(on: agent) ?? Resources() }
        let cycle = engine.allocate(now: now)
        filters.removeAll { $0.expiresAt <= now }
        var given: [AgentID: Resources] = [:]
        for allocation in cycle.allocations {
            let holder = Holder(framework: allocation.framework, role: allocation.role)
            let offered = "\(allocation.resources) on \(allocation.agentID) to \(holder)"
            guard frameworks[holder.framework]?.contains(holder.role) == true else {
                log.report(.forgetsRemovedCandidates, "the engine offered \(offered), which is not registered")
                continue
            }
            guard let free = freeBefore[allocation.agentID] else {
                log.report(.engineConsistency, "the engine offered \(offered), an agent it does not have")
                continue
            }
            if allocation.resources.isEmpty { log.report(.engineConsistency, "the engine offered nothing on \(allocation.agentID) to \(holder)") }
            if suppressed.contains(holder) {
                log.report(.respectsSuppressionAndFilters, "offered \(offered), which is suppressed")
            } else if let filter = filters.first(where: { $0.holder == holder && $0.agent == allocation.agentID && $0.refused.contains(allocation.resources) }) {
                log.report(.respectsSuppressionAndFilters, "offered \(offered), which declined \(filter.refused) there with a filter until \(Self.seconds(filter.expiresAt))")
            }
            if allocation.resources.allocatable(to: holder.role) != allocation.resources {
                log.report(.offersOnlyFree, "offered \(offered), including resources reserved for another role")
            }
            let sum = given[allocation.agentID, default: Resources()] + allocation.resources
            if !free.contains(sum) {
                log.report(.offersOnlyFree, "the cycle offered \(sum) on \(allocation.agentID), more than the \(free) that was free")
            }
            given[allocation.agentID] = sum
            offers.append(Holding(holder: holder, agent: allocation.agentID, resources: allocation.resources))
        }
    }

    /// Keeps part of an offer as a task and returns the rest, with a random filter.
    private mutating func launch() {
        let offer = offers.remove(at: random.int(in: 0...offers.count - 1))
        let kept = part(of: offer.resources)
        let rest = offer.resources - kept
        let filter = random.element(of: Self.refusals).map { Filters(refuse: $0) }
        log.begin(step: step, "launch \(kept) of \(offer.resources) offered on \(offer.agent) to \(offer.holder), returning the rest with \(describe(filter))")
        if !kept.isEmpty { tasks.append(Holding(holder: offer.holder, agent: offer.agent, resources: kept)) }
        giveBack(rest, from: offer, filter: filter)
    }

    private mutating func decline() {
        let offer = offers.remove(at: random.int(in: 0...offers.count - 1))
        let filter = random.element(of: Self.refusals).map { Filters(refuse: $0) }
        log.begin(step: step, "decline \(offer.resources) on \(offer.agent) by \(offer.holder) with \(describe(filter))")
        giveBack(offer.resources, from: offer, filter: filter)
    }

    private mutating func finishTask() {
        let task = tasks.remove(at: random.int(in: 0...tasks.count - 1))
        log.begin(step: step, "finish a task of \(task.holder) using \(task.resources) on \(task.agent)")
        giveBack(task.resources, from: task, filter: nil)
    }

    private mutating func giveBack(_ resources: Resources, from holding: Holding, filter: Filters?) {
        guard !resources.isEmpty else { return }
        do {
            try engine.recover(resources, of: holding.holder.framework, role: holding.holder.role, on: holding.agent, filter: filter, now: now)
            if let filter, filter.refuse > .zero {
                filters.append(Filter(holder: holding.holder, agent: holding.agent, refused: resources, expiresAt: now + filter.refuse))
            }
        } catch {
            log.report(.engineConsistency, "the engine refused to take back \(resources) from \(holding.holder) on \(holding.agent): \(error)")
        }
    }

    private mutating func suppressOrRevive(suppress: Bool) {
        let framework = random.element(of: frameworks.keys.sorted())
        let all = frameworks[framework] ?? []
        let roles = random.chance(50) ? [] : random.subset(of: all)
        let holders = (roles.isEmpty ? all : roles).map { Holder(framework: framework, role: $0) }
        log.begin(step: step, "\(suppress ? "suppress" : "revive") \(framework) roles \(roles.isEmpty ? "(all)" : roles.map(\.name).joined(separator: ","))")
        do {
            if suppress {
                try engine.suppress(framework, roles: roles)
                suppressed.formUnion(holders)
            } else {
                try engine.revive(framework, roles: roles)
                suppressed.subtract(holders)
                filters.removeAll { holders.contains($0.holder) }
            }
        } catch {
            log.report(.engineConsistency, "the engine refused: \(error)")
        }
    }

    private mutating func addFramework() {
        let framework = random.element(of: Self.frameworkNames.filter { frameworks[$0] == nil })
        var roles = [random.element(of: Self.roles)]
        if random.chance(40) {
            let second = random.element(of: Self.roles)
            if second != roles[0] { roles.append(second) }
        }
        let priority = random.int(in: 0...3)
        log.begin(step: step, "add framework \(framework) with roles \(roles.map(\.name).joined(separator: ",")) and priority \(priority)")
        do {
            try engine.addFramework(framework, info: FrameworkInfo(name: framework.value, roles: roles, priority: priority))
            frameworks[framework] = roles
        } catch {
            log.report(.engineConsistency, "the engine refused: \(error)")
        }
    }

    private mutating func removeFramework() {
        let framework = random.element(of: frameworks.keys.sorted())
        log.begin(step: step, "remove framework \(framework)")
        engine.removeFramework(framework)
        frameworks[framework] = nil
        forget { $0.framework == framework }
    }

    /// Changes a framework's priority and maybe adds or drops a role.
    private mutating func updateFramework() {
        let framework = random.element(of: frameworks.keys.sorted())
        var roles = frameworks[framework] ?? []
        if roles.count > 1, random.chance(40) {
            roles.remove(at: random.int(in: 0...roles.count - 1))
        } else if roles.count == 1, random.chance(40) {
            let extra = random.element(of: Self.roles)
            if extra != roles[0] { roles.append(extra) }
        }
        let priority = random.int(in: 0...3)
        log.begin(step: step, "update framework \(framework) to roles \(roles.map(\.name).joined(separator: ",")) and priority \(priority)")
        do {
            try engine.updateFramework(framework, info: FrameworkInfo(name: framework.value, roles: roles, priority: priority))
            let dropped = Set(frameworks[framework] ?? []).subtracting(roles)
            frameworks[framework] = roles
            forget { $0.framework == framework && dropped.contains($0.role) }
        } catch {
            log.report(.engineConsistency, "the engine refused: \(error)")
        }
    }

    private mutating func addAgent() {
        let agent = random.element(of: Self.agentNames.filter { agents[$0] == nil })
        let resources = randomAgentResources()
        log.begin(step: step, "add agent \(agent) with \(resources)")
        do {
            try engine.addAgent(AgentInfo(id: agent, hostname: agent.value, resources: resources))
            agents[agent] = resources
        } catch {
            log.report(.engineConsistency, "the engine refused: \(error)")
        }
    }

    private mutating func removeAgent() {
        let agent = random.element(of: agents.keys.sorted())
        log.begin(step: step, "remove agent \(agent)")
        engine.removeAgent(agent)
        agents[agent] = nil
        offers.removeAll { $0.agent == agent }
        tasks.removeAll { $0.agent == agent }
        filters.removeAll { $0.agent == agent }
    }

    private mutating func advanceTime() {
        let seconds = random.element(of: [1, 2, 5, 10, 40])
        log.begin(step: step, "advance time by \(seconds)s to \(Self.seconds(now + .seconds(seconds)))")
        now += .seconds(seconds)
    }

    /// Swaps in a fresh policy and checks that nobody's allocation or any agent's free
    /// resources changed.
    private mutating func replacePolicy(_ makePolicy: () -> any AllocatorPolicy) {
        log.begin(step: step, "replace the policy with a fresh one")
        let frameworkIDs = frameworks.keys.sorted()
        let agentIDs = agents.keys.sorted()
        let held = frameworkIDs.map { engine.allocation(of: $0) }
        let free = agentIDs.map { engine.free(on: $0) }
        replacements += 1
        engine.replacePolicy(CheckedPolicy(policy: makePolicy(), twin: makePolicy(), log: log, seed: ~seed &+ replacements))
        for (framework, before) in zip(frameworkIDs, held) where engine.allocation(of: framework) != before {
            log.report(.keepsAllocationsOnReplace, "\(framework) held \(before) before the swap and \(engine.allocation(of: framework)) after")
        }
        for (agent, before) in zip(agentIDs, free) where engine.free(on: agent) != before {
            log.report(.keepsAllocationsOnReplace, "agent \(agent) had \(before.map(\.description) ?? "nil") free before the swap and \(engine.free(on: agent).map(\.description) ?? "nil") after")
        }
    }

    private mutating func setWeight() {
        let role = random.element(of: Self.roles)
        let weight = random.element(of: [0.5, 1, 2, 4])
        log.begin(step: step, "set the weight of role \(role) to \(weight)")
        do { try engine.setWeight(weight, for: role) } catch { log.report(.engineConsistency, "the engine refused: \(error)") }
    }

    // MARK: Checks

    /// After every step: what frameworks hold on each agent neither overlaps nor exceeds
    /// its total, and the engine's free resources and allocations agree with the offers made.
    private func checkBooks() {
        for agent in agents.keys.sorted() {
            let total = agents[agent] ?? Resources()
            var held = Resources()
            for holding in offers + tasks where holding.agent == agent {
                if (held + holding.resources) - holding.resources != held {
                    log.report(.offersOnce, "\(holding.resources) held by \(holding.holder) on \(agent) overlaps the \(held) others hold there")
                }
                held += holding.resources
            }
            if !total.contains(held) {
                log.report(.offersOnlyFree, "frameworks hold \(held) on \(agent), more than its total \(total)")
            }
            guard let free = engine.free(on: agent) else {
                log.report(.engineConsistency, "the engine does not know agent \(agent)")
                continue
            }
            if free + held != total {
                log.report(.engineConsistency, "the engine has \(free) free on \(agent), but its total is \(total) and frameworks hold \(held)")
            }
        }
        // Across agents only scalars add up: the same port held on two agents is one
        // entry in a `Resources`, so the engine's cross-agent total cannot count it twice.
        func scalars(_ resources: Resources) -> Resources {
            resources.filter { if case .scalar = $0.value { true } else { false } }
        }
        for framework in frameworks.keys.sorted() {
            let held = (offers + tasks).filter { $0.holder.framework == framework }.reduce(into: Resources()) { $0 += scalars($1.resources) }
            let booked = scalars(engine.allocation(of: framework))
            if booked != held {
                log.report(.engineConsistency, "the engine says \(framework) holds \(booked), but it was offered and kept \(held)")
            }
        }
    }

    // MARK: Helpers

    /// Drops the offers, tasks, filters and suppression of holders that left.
    private mutating func forget(_ gone: (Holder) -> Bool) {
        offers.removeAll { gone($0.holder) }
        tasks.removeAll { gone($0.holder) }
        filters.removeAll { gone($0.holder) }
        suppressed = suppressed.filter { !gone($0) }
    }

    /// A random part of `resources`: some scalars cut down, a port or two, one set item.
    private mutating func part(of resources: Resources) -> Resources {
        var kept: [Resource] = []
        for entry in resources.entries where random.chance(60) {
            var piece = entry
            switch entry.value {
            case .scalar(let amount):
                piece.value = .scalar(Scalar(milli: amount.milli * Int64(random.int(in: 1...3)) / 4))
            case .ranges(let ranges):
                guard let first = ranges.ranges.first else { continue }
                piece.value = .ranges(ValueRanges([first.lowerBound...min(first.upperBound, first.lowerBound + 1)]))
            case .set(let items):
                guard let item = items.min() else { continue }
                piece.value = .set([item])
            }
            kept.append(piece)
        }
        return Resources(kept)
    }

    /// CPUs, memory and ports, sometimes with a reservation for a role, a set or GPUs;
    /// now and then an agent whose resources are all reserved.
    private mutating func randomAgentResources() -> Resources {
        let role = random.element(of: Self.reservedRoles)
        var text: String
        if random.chance(15) {
            text = "cpus(\(role)):2;mem(\(role)):1024"
        } else {
            let base = 31000 + 100 * random.int(in: 0...9)
            text = "cpus:\(random.int(in: 1...8));mem:\(512 * random.int(in: 1...8));ports:[\(base)-\(base + random.int(in: 1...9))]"
            if random.chance(50) { text += ";cpus(\(role)):\(random.int(in: 1...2));mem(\(role)):\(256 * random.int(in: 1...4))" }
            if random.chance(30) { text += ";zones:{a,b,c}" }
            if random.chance(20) { text += ";gpus:\(random.int(in: 1...2))" }
        }
        // The text is built above from valid pieces, so the literal initializer cannot trap.
        return Resources(stringLiteral: text)
    }

    private func describe(_ filter: Filters?) -> String {
        guard let filter else { return "no filter" }
        return "refuse \(Self.seconds(filter.refuse))"
    }

    /// `12s`: the scenario's times are whole seconds.
    private static func seconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return attoseconds == 0 ? "\(seconds)s" : "\(Double(seconds) + Double(attoseconds) / 1e18)s"
    }
}
