import RoostAllocators
import RoostCore

extension MasterState {
    /// Runs an allocation cycle: turns the engine's decisions into offers for connected
    /// frameworks, one `offers` event per framework, and kills the tasks it chose to preempt.
    mutating func allocate(now: Duration) -> [MasterOutput] {
        let cycle = engine.allocate(now: now)
        var batches: [FrameworkID: [Offer]] = [:]
        var outputs: [MasterOutput] = []
        for allocation in cycle.allocations {
            // No binding of the framework's entry here: a copy of it would make the insert
            // below copy the framework's whole offer set.
            guard frameworks[allocation.framework]?.connection != nil, let agent = agents[allocation.agentID] else {
                // Nobody to offer it to right now: hand it back without a filter.
                try? engine.recover(allocation.resources, of: allocation.framework, role: allocation.role, on: allocation.agentID, now: now)
                continue
            }
            let id = nextOfferID()
            let offer = Offer(id: id, frameworkID: allocation.framework, agentID: allocation.agentID, hostname: agent.info.hostname, resources: allocation.resources, attributes: agent.info.attributes)
            offers[id] = OfferEntry(offer: offer, role: allocation.role, createdAt: now)
            frameworks[allocation.framework]?.offers.insert(id)
            batches[allocation.framework, default: []].append(offer)
        }
        for (framework, batch) in batches.sorted(by: { $0.key < $1.key }) {
            if let connection = frameworks[framework]?.connection {
                outputs.append(.scheduler(connection, .offers(offers: batch)))
            }
        }
        for preemption in cycle.preemptions {
            let task = preemption.task
            outputs.append(.agent(task.agentID, .killTask(frameworkID: task.framework, taskID: task.taskID, gracePeriodSeconds: task.killGracePeriod.seconds)))
        }
        return outputs
    }

    /// Carries out an accept: every offer must be live and the caller's, all on one agent;
    /// tasks that are invalid, repeat a live task's ID or do not fit what is left get
    /// `TASK_ERROR` and are not launched; the rest launch, and whatever remains returns to
    /// the pool with `filters`.
    mutating func accept(_ offerIDs: [OfferID], operations: [OfferOperation], filters: Filters, by framework: FrameworkID, now: Duration) throws(SchedulerDriverError) -> [MasterOutput] {
        guard !offerIDs.isEmpty else { throw SchedulerDriverError(.invalidCall, "accept: offerIDs is empty") }
        guard Set(offerIDs).count == offerIDs.count else { throw SchedulerDriverError(.invalidCall, "accept: offerIDs repeats an offer") }
        var accepted: [OfferEntry] = []
        for id in offerIDs {
            guard let entry = offers[id] else {
                throw SchedulerDriverError(.unknownOffer, "accept: offer \(id) is unknown, already used, declined or rescinded")
            }
            guard entry.offer.frameworkID == framework else {
                throw SchedulerDriverError(.unknownOffer, "accept: offer \(id) was made to another framework")
            }
            accepted.append(entry)
        }
        let agentID = accepted[0].offer.agentID
        guard accepted.allSatisfy({ $0.offer.agentID == agentID }) else {
            throw SchedulerDriverError(.invalidCall, "accept: offers \(offerIDs) are on different agents; one accept uses one agent's offers")
        }
        guard Set(accepted.map(\.role)).count == 1 else {
            throw SchedulerDriverError(.invalidCall, "accept: offers \(offerIDs) were made under different roles; accept them separately")
        }
        for operation in operations {
            switch operation {
            case .launch: continue
            case .reserve, .unreserve:
                throw SchedulerDriverError(.invalidCall, "accept: RESERVE and UNRESERVE are not supported by this master; launch on unreserved or statically reserved resources")
            }
        }
        let role = accepted[0].role
        var remaining = accepted.reduce(into: Resources()) { $0 += $1.offer.resources }
        for entry in accepted {
            offers[entry.offer.id] = nil
            frameworks[framework]?.offers.remove(entry.offer.id)
        }
        var outputs: [MasterOutput] = []
        var launchedHere: Set<TaskID> = []
        for case .launch(let tasks) in operations {
            for var task in tasks {
                if let problem = launchProblem(task, agentID: agentID, remaining: remaining, framework: framework, launchedHere: launchedHere) {
                    outputs += masterUpdate(task.id, .error, reason: .taskInvalid, message: problem, agentID: agentID, for: framework, now: now)
                    continue
                }
                task.agentID = agentID
                remaining -= task.resources
                launchedHere.insert(task.id)
                frameworks[framework]?.tasks[task.id] = MasterTask(info: task, frameworkID: framework, agentID: agentID, role: role, state: .staging)
                try? engine.taskLaunched(task.id, of: framework, role: role, on: agentID, resources: task.resources, killGracePeriod: task.killGracePeriod ?? .seconds(3))
                if let info = frameworks[framework]?.info {
                    outputs.append(.agent(agentID, .runTask(framework: info, task: task)))
                }
            }
        }
        if !remaining.isEmpty {
            try? engine.recover(remaining, of: framework, role: role, on: agentID, filter: filters, now: now)
        }
        return outputs
    }

    /// Why a task cannot be launched from what is left of the accepted offers, or `nil`.
    private func launchProblem(_ task: TaskInfo, agentID: AgentID, remaining: Resources, framework: FrameworkID, launchedHere: Set<TaskID>) -> String? {
        do { try task.validate() } catch { return error.description }
        if let pinned = task.agentID, pinned != agentID {
            return "task \(task.id) names agent \(pinned) but the offers are on \(agentID)"
        }
        if launchedHere.contains(task.id) {
            return "task ID \(task.id) is used twice in this accept"
        }
        if let existing = frameworks[framework]?.tasks[task.id], !existing.state.isTerminal {
            return "task ID \(task.id) is already used by a \(existing.state) task of this framework"
        }
        if !remaining.contains(task.resources) {
            return "task \(task.id) needs \(task.resources) but only \(remaining) is left in the accepted offers"
        }
        return nil
    }

    /// Returns declined offers to the pool with `filters`; unknown or others' offers are ignored,
    /// as Mesos does (a decline may race with a rescind).
    mutating func decline(_ offerIDs: [OfferID], filters: Filters, by framework: FrameworkID, now: Duration) -> [MasterOutput] {
        for id in offerIDs {
            guard let entry = offers[id], entry.offer.frameworkID == framework else { continue }
            offers[id] = nil
            frameworks[framework]?.offers.remove(id)
            try? engine.recover(entry.offer.resources, of: framework, role: entry.role, on: entry.offer.agentID, filter: filters, now: now)
        }
        return []
    }

    /// Takes back one offer, telling its framework.
    mutating func rescind(_ id: OfferID, filter: Filters?, now: Duration) -> [MasterOutput] {
        guard let entry = offers.removeValue(forKey: id) else { return [] }
        let framework = entry.offer.frameworkID
        frameworks[framework]?.offers.remove(id)
        if agents[entry.offer.agentID] != nil {
            try? engine.recover(entry.offer.resources, of: framework, role: entry.role, on: entry.offer.agentID, filter: filter, now: now)
        }
        guard let connection = frameworks[framework]?.connection else { return [] }
        return [.scheduler(connection, .rescind(offerID: id))]
    }

    /// Takes back every offer of a framework.
    mutating func rescindOffers(of framework: FrameworkID, now: Duration) -> [MasterOutput] {
        (frameworks[framework]?.offers.sorted() ?? []).flatMap { rescind($0, filter: nil, now: now) }
    }

    /// Takes back every offer on an agent.
    mutating func rescindOffers(on agent: AgentID, now: Duration) -> [MasterOutput] {
        offers.values.filter { $0.offer.agentID == agent }.map(\.offer.id).sorted().flatMap { rescind($0, filter: nil, now: now) }
    }

    private mutating func nextOfferID() -> OfferID {
        counters.offers += 1
        return OfferID("\(master.id)-O\(counters.offers)")
    }
}
