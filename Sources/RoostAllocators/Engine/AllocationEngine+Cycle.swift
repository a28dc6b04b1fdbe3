public import RoostCore
import HeapModule

extension AllocationEngine {
    /// Runs one allocation cycle at `now`: expires filters, offers the free resources of
    /// every agent that changed, and asks the policy for preemptions where demand is unmet.
    ///
    /// The returned allocations are already counted as held by their frameworks;
    /// return unused ones with ``recover(_:of:role:on:filter:now:)``.
    public mutating func allocate(now: Duration) -> AllocationCycle {
        expireFilters(now: now)
        var allocations: [Allocation] = []
        var recipients: [CandidateID] = []
        var queue = dirty
        dirty.removeAll(keepingCapacity: true)
        queue.sort()
        var examined = 0
        for slot in queue {
            // Stale or repeated entries: the agent left, or was examined already.
            guard agents[slot]?.queue == .dirty else { continue }
            examined += 1
            examine(slot, into: &allocations, recipients: &recipients)
        }
        if stranded.count > 2 * agentSlots.count + 64 {
            stranded = Array(Set(stranded.filter { agents[$0]?.queue == .stranded })).sorted()
        }
        lastRecipients = recipients
        let preemptions = planPreemptions()
        return AllocationCycle(allocations: allocations, preemptions: preemptions, examinedAgents: examined)
    }

    /// Offers one agent's free resources until nothing allocatable is left or nobody takes them.
    private mutating func examine(_ slot: Int, into allocations: inout [Allocation], recipients: inout [CandidateID]) {
        guard var ledger = agents[slot] else { return }
        agents[slot] = nil
        defer { agents[slot] = ledger }
        ledger.queue = .idle
        let roles = candidateRoles
        let minimum = configuration.minimumAllocatable
        let suppressed = self.suppressed
        // Whether a candidate may be offered this agent's free resources now.
        func isEligible(_ index: Int, _ ledger: inout AgentLedger) -> Bool {
            guard index < roles.count, let role = roles[index], !suppressed.contains(index) else { return false }
            if ledger.hasReservations, !Self.meetsMinimum(ledger.offerable(to: role), minimum) { return false }
            return !ledger.isFiltered(index, role: role)
        }
        while isAllocatable(ledger.free) {
            // Everyone filtered here or suppressed: skip without asking the policy.
            if ledger.blockedCount + suppressedCount >= liveCandidates, ledger.blocked.unionCount(with: suppressed) >= liveCandidates {
                break
            }
            let picked = policy.pick(for: ledger.view) { isEligible($0.index, &ledger) }
            // The engine does not trust the answer: an ineligible, unknown or removed candidate
            // (a policy breaking its contract) gets nothing, and the agent waits.
            guard let picked, isEligible(picked.index, &ledger), let role = roles[picked.index],
                let framework = candidates[picked.index]?.candidate.framework
            else { break }
            let offer = ledger.offerable(to: role)
            ledger.allocate(offer, to: picked.index)
            policy.allocated(offer, to: picked, on: ledger.id)
            serveDemand(of: framework, with: offer, on: ledger.id)
            // "Preempted by X" explains a framework's losses until it is offered something again.
            lastPreemptedBy[framework] = nil
            allocations.append(Allocation(framework: framework, role: role, agentID: ledger.id, resources: offer))
            recipients.append(picked)
        }
        if isAllocatable(ledger.free) {
            ledger.queue = .stranded
            stranded.append(slot)
        }
    }

    private func isAllocatable(_ free: Resources) -> Bool {
        Self.meetsMinimum(free, configuration.minimumAllocatable)
    }

    /// Whether `resources` hold at least one of the minimum quantities (any role).
    static func meetsMinimum(_ resources: Resources, _ minimum: [Resources]) -> Bool {
        if resources.isEmpty { return false }
        if minimum.isEmpty { return true }
        return minimum.contains { quantity in
            quantity.entries.allSatisfy { entry in
                switch entry.value {
                case .scalar(let amount): resources.scalar(named: entry.name) >= amount
                case .ranges(let ranges): resources.ranges(named: entry.name).contains(ranges)
                case .set(let items): items.isSubset(of: resources.set(named: entry.name))
                }
            }
        }
    }

    private mutating func expireFilters(now: Duration) {
        while let next = expirations.min, next.expiresAt <= now {
            _ = expirations.removeMin()
            guard var ledger = agents[next.agentSlot], ledger.removeFilter(serial: next.serial, for: next.candidate) else { continue }
            if ledger.filters[next.candidate] == nil { candidates[next.candidate]?.filterAgents.remove(next.agentSlot) }
            if ledger.queue == .stranded {
                ledger.queue = .dirty
                dirty.append(next.agentSlot)
            }
            agents[next.agentSlot] = ledger
        }
    }

    // MARK: Preemption

    /// Drops the requests an offer serves: each request it contains (on the pinned agent, if
    /// any), taken in order, each using up its share of the offer.
    private mutating func serveDemand(of framework: FrameworkID, with offer: Resources, on agent: AgentID) {
        guard needy.contains(framework), let demand = frameworks[framework]?.demand else { return }
        var left = offer
        var outstanding: [ResourceRequest] = []
        for request in demand {
            if request.agentID == nil || request.agentID == agent, left.contains(request.resources) {
                left -= request.resources
            } else {
                outstanding.append(request)
            }
        }
        frameworks[framework]?.demand = outstanding
        if outstanding.isEmpty { needy.remove(framework) }
    }

    /// Asks the policy for victims for every framework with unmet demand, the most important
    /// (highest priority, then earliest registration) first, counting kills already under way
    /// and those decided for more important frameworks as freed.
    private mutating func planPreemptions() -> [Preemption] {
        guard policy.preempts, !needy.isEmpty else { return [] }
        let needy = self.needy.compactMap { framework -> (FrameworkID, FrameworkRecord, CandidateID)? in
            guard let record = frameworks[framework], !record.demand.isEmpty, let role = record.info.roles.first, let id = record.candidates[role] else { return nil }
            return (framework, record, id)
        }.sorted { lhs, rhs in
            let (left, right) = (lhs.1.info.priority, rhs.1.info.priority)
            if left != right { return left > right }
            return (candidates[lhs.2.index]?.candidate.registrationOrder ?? 0) < (candidates[rhs.2.index]?.candidate.registrationOrder ?? 0)
        }
        var decided: [Preemption] = []
        var taken = Set(pendingPreemptions.keys)
        for (framework, record, candidate) in needy {
            guard let role = candidateRoles[candidate.index] else { continue }
            var views = agentViews(freedBy: pendingPreemptions.values.map(\.task) + decided.map(\.task))
            let unmet = placeRequests(record.demand, role: role, agents: &views)
            guard !unmet.isEmpty else { continue }
            let running = tasks.values
                .filter { $0.framework != framework && !taken.contains(TaskKey(framework: $0.framework, task: $0.taskID)) }
                .sorted { $0.launchOrder < $1.launchOrder }
            for victim in policy.victims(for: unmet, of: candidate, running: running, agents: views) {
                let key = TaskKey(framework: victim.task.framework, task: victim.task.taskID)
                // Only tasks the engine knows, of other frameworks, once each.
                guard let task = tasks[key], key.framework != framework, taken.insert(key).inserted else { continue }
                decided.append(Preemption(task: task, beneficiary: framework))
            }
        }
        for preemption in decided {
            pendingPreemptions[TaskKey(framework: preemption.task.framework, task: preemption.task.taskID)] = preemption
            lastPreemptedBy[preemption.task.framework] = preemption.beneficiary
        }
        return decided
    }

    /// Places the requests on free resources one after another (each on the first agent that
    /// still fits it, so two requests never count the same resources), takes what they use out
    /// of `views`, and returns the requests that did not fit.
    private func placeRequests(_ demand: [ResourceRequest], role: Role, agents views: inout [AgentResources]) -> [ResourceRequest] {
        var unmet: [ResourceRequest] = []
        for request in demand {
            let fits = views.firstIndex { view in
                guard request.agentID == nil || request.agentID == view.id else { return false }
                let reserved = agentSlots[view.id].flatMap { agents[$0]?.hasReservations } ?? false
                return (reserved ? view.free.allocatable(to: role) : view.free).contains(request.resources)
            }
            if let fits {
                views[fits].free -= request.resources
            } else {
                unmet.append(request)
            }
        }
        return unmet
    }

    /// Every agent with its free resources, plus what the given tasks will free when killed.
    private func agentViews(freedBy freeing: [RunningTask]) -> [AgentResources] {
        var extra: [AgentID: Resources] = [:]
        for task in freeing { extra[task.agentID, default: Resources()] += task.resources }
        return agents.compactMap { ledger in
            guard let ledger else { return nil }
            var view = ledger.view
            if let freed = extra[ledger.id] { view.free += freed }
            return view
        }.sorted { $0.id < $1.id }
    }

    // MARK: Explanations

    /// Why `framework` received nothing in the last cycle: the engine's reasons (suppressed,
    /// filtered on N agents, preempted, no agent large enough for its demand) followed by the
    /// policy's (who ranked ahead of it).
    public func explain(_ framework: FrameworkID) -> [AllocationExplanation] {
        guard let record = frameworks[framework] else { return [] }
        let ids = Array(record.candidates.values).sorted()
        var reasons: [AllocationExplanation] = []
        if !ids.isEmpty, ids.allSatisfy({ suppressed.contains($0.index) }) { reasons.append(.suppressed) }
        var filteredAgents = Set<Int>()
        for id in ids {
            guard let record = candidates[id.index] else { continue }
            for slot in record.filterAgents {
                guard let ledger = agents[slot], let filters = ledger.filters[id.index], isAllocatable(ledger.free) else { continue }
                let offer = ledger.offerable(to: record.candidate.role)
                if filters.contains(where: { $0.refused.contains(offer) }) { filteredAgents.insert(slot) }
            }
        }
        if !filteredAgents.isEmpty { reasons.append(.filtered(agents: filteredAgents.count)) }
        if let beneficiary = lastPreemptedBy[framework] { reasons.append(.preempted(by: beneficiary)) }
        for request in record.demand {
            // A request no agent could hold even when empty: name the first resource no agent has enough of.
            let totals = agents.compactMap { ledger in
                ledger.flatMap { request.agentID == nil || request.agentID == $0.id ? $0.total : nil }
            }
            guard !totals.contains(where: { $0.contains(request.resources) }) else { continue }
            let missing = request.resources.entries.first { entry in
                !totals.contains { $0.contains(Resources([entry])) }
            }
            reasons.append(.insufficient(resource: missing?.name ?? request.resources.description))
        }
        for id in ids { reasons += policy.explain(id, recipients: lastRecipients) }
        return reasons
    }
}

extension Array {
    subscript(safe index: Int) -> Element? {
        indices.contains(index) ? self[index] : nil
    }
}
