import RoostAllocators
import RoostCore
import Testing

/// An engine with DRF, two frameworks and one agent, for the mechanism tests.
private func twoFrameworks(agent: Resources = "cpus:4;mem:4096") throws -> AllocationEngine {
    var engine = AllocationEngine(policy: DRFAllocator())
    try engine.addFramework("A", info: FrameworkInfo(name: "A"))
    try engine.addFramework("B", info: FrameworkInfo(name: "B"))
    try engine.addAgent(AgentInfo(id: "s1", hostname: "s1", resources: agent))
    return engine
}

struct AllocationEngineTests {
    @Test func offersAWholeAgentToTheLowestShare() throws {
        var engine = try twoFrameworks()
        let cycle = engine.allocate(now: .zero)
        #expect(cycle.allocations == [Allocation(framework: "A", role: .any, agentID: "s1", resources: "cpus:4;mem:4096")])
        #expect(engine.free(on: "s1") == Resources())
        #expect(engine.allocation(of: "A") == "cpus:4;mem:4096")
        // Nothing is free: the next cycle offers nothing and looks at no agent.
        let next = engine.allocate(now: .zero)
        #expect(next.allocations.isEmpty)
        #expect(next.examinedAgents == 0)
    }

    @Test func declineFilterWithholdsUntilItExpires() throws {
        var engine = try twoFrameworks()
        try engine.suppress("B")
        _ = engine.allocate(now: .zero)
        try engine.recover("cpus:4;mem:4096", of: "A", role: .any, on: "s1", filter: Filters(refuse: .seconds(5)), now: .zero)
        // B is suppressed, A filtered: nobody is offered anything.
        #expect(engine.allocate(now: .seconds(1)).allocations.isEmpty)
        #expect(engine.allocate(now: .milliseconds(4999)).allocations.isEmpty)
        let expired = engine.allocate(now: .seconds(5))
        #expect(expired.allocations.map(\.framework) == ["A"])
    }

    @Test func filterCoversOnlyASubsetOfWhatWasRefused() throws {
        var engine = try twoFrameworks(agent: "cpus:4;mem:4096")
        try engine.suppress("B")
        _ = engine.allocate(now: .zero)
        // A keeps half and refuses the other half for a long time.
        try engine.recover("cpus:2;mem:2048", of: "A", role: .any, on: "s1", filter: Filters(refuse: .seconds(3600)), now: .zero)
        #expect(engine.allocate(now: .seconds(1)).allocations.isEmpty, "the refused half is filtered")
        // Once more is free than was refused, the filter no longer covers the offer.
        try engine.recover("cpus:1;mem:1024", of: "A", role: .any, on: "s1", now: .seconds(2))
        let cycle = engine.allocate(now: .seconds(2))
        #expect(cycle.allocations == [Allocation(framework: "A", role: .any, agentID: "s1", resources: "cpus:3;mem:3072")])
    }

    @Test func zeroRefuseMeansNoFilter() throws {
        var engine = try twoFrameworks()
        try engine.suppress("B")
        _ = engine.allocate(now: .zero)
        try engine.recover("cpus:4;mem:4096", of: "A", role: .any, on: "s1", filter: Filters(refuse: .zero), now: .zero)
        #expect(engine.allocate(now: .zero).allocations.map(\.framework) == ["A"])
    }

    @Test func suppressAndRevive() throws {
        var engine = try twoFrameworks()
        #expect(engine.canOfferAnything)
        try engine.suppress("A")
        #expect(engine.canOfferAnything)
        try engine.suppress("B")
        // Nobody takes offers: a cycle would find no taker, whatever is free.
        #expect(!engine.canOfferAnything)
        #expect(engine.allocate(now: .zero).allocations.isEmpty)
        #expect(engine.explain("A").contains(.suppressed))
        try engine.revive("B")
        #expect(engine.canOfferAnything)
        #expect(engine.allocate(now: .zero).allocations.map(\.framework) == ["B"])
    }

    @Test func reviveClearsFilters() throws {
        var engine = try twoFrameworks()
        try engine.suppress("B")
        _ = engine.allocate(now: .zero)
        try engine.recover("cpus:4;mem:4096", of: "A", role: .any, on: "s1", filter: Filters(refuse: .seconds(3600)), now: .zero)
        #expect(engine.allocate(now: .seconds(1)).allocations.isEmpty)
        #expect(engine.explain("A").contains(.filtered(agents: 1)))
        try engine.revive("A")
        #expect(engine.allocate(now: .seconds(1)).allocations.map(\.framework) == ["A"])
    }

    @Test func filteredFrameworkDoesNotBlockOthers() throws {
        var engine = try twoFrameworks()
        _ = engine.allocate(now: .zero)  // A gets it first (registration order)
        try engine.recover("cpus:4;mem:4096", of: "A", role: .any, on: "s1", filter: Filters(refuse: .seconds(3600)), now: .zero)
        #expect(engine.allocate(now: .zero).allocations.map(\.framework) == ["B"])
    }

    @Test func minimumAllocatableResources() throws {
        var engine = AllocationEngine(policy: DRFAllocator())
        try engine.addFramework("A", info: FrameworkInfo(name: "A"))
        try engine.addAgent(AgentInfo(id: "tiny", hostname: "tiny", resources: "cpus:0.005;mem:16;disk:100"))
        try engine.addAgent(AgentInfo(id: "memonly", hostname: "memonly", resources: "mem:64"))
        let cycle = engine.allocate(now: .zero)
        // Mesos' default: at least cpus:0.01 or mem:32.
        #expect(cycle.allocations.map(\.agentID) == ["memonly"])
    }

    @Test func reservedResourcesGoOnlyToTheirRole() throws {
        var engine = AllocationEngine(policy: DRFAllocator())
        try engine.addFramework("web", info: FrameworkInfo(name: "web", roles: ["web"]))
        try engine.addFramework("other", info: FrameworkInfo(name: "other"))
        try engine.addAgent(AgentInfo(id: "s1", hostname: "s1", resources: "cpus(web):2;mem(web):2048;cpus:1;mem:1024"))
        try engine.suppress("web")
        let first = engine.allocate(now: .zero)
        #expect(first.allocations == [Allocation(framework: "other", role: .any, agentID: "s1", resources: "cpus:1;mem:1024")])
        try engine.revive("web")
        let second = engine.allocate(now: .zero)
        #expect(second.allocations == [Allocation(framework: "web", role: "web", agentID: "s1", resources: "cpus(web):2;mem(web):2048")])
    }

    @Test func recoverMoreThanHeldIsRejectedAndChangesNothing() throws {
        var engine = try twoFrameworks()
        _ = engine.allocate(now: .zero)
        let error = #expect(throws: AllocationError.self) {
            try engine.recover("cpus:8", of: "A", role: .any, on: "s1", now: .zero)
        }
        #expect(error?.code == .overRecovery)
        #expect(error?.message.contains("does not hold cpus:8 on agent s1") == true)
        #expect(engine.allocation(of: "A") == "cpus:4;mem:4096")
        #expect(engine.free(on: "s1") == Resources())
        #expect(throws: AllocationError.self) { try engine.recover("cpus:1", of: "nobody", role: .any, on: "s1", now: .zero) }
        #expect(throws: AllocationError.self) { try engine.recover("cpus:1", of: "A", role: .any, on: "nowhere", now: .zero) }
    }

    @Test func badInputsGetNamedErrors() throws {
        var engine = try twoFrameworks()
        #expect(throws: AllocationError(.duplicateFramework, "framework A is already registered with the allocator")) {
            try engine.addFramework("A", info: FrameworkInfo(name: "A"))
        }
        #expect(throws: AllocationError.self) { try engine.addAgent(AgentInfo(hostname: "no-id", resources: "cpus:1")) }
        #expect(throws: AllocationError.self) { try engine.addAgent(AgentInfo(id: "s1", hostname: "again", resources: "cpus:1")) }
        for weight in [0, -1, Double.nan, .infinity] {
            #expect(throws: AllocationError.self) { try engine.setWeight(weight, for: "r") }
        }
        #expect(throws: AllocationError.self) { try engine.suppress("ghost") }
        #expect(throws: AllocationError.self) { try engine.revive("A", roles: ["not-mine"]) }
    }

    @Test func removingAFrameworkFreesWhatItHeld() throws {
        var engine = try twoFrameworks()
        _ = engine.allocate(now: .zero)
        engine.removeFramework("A")
        #expect(engine.free(on: "s1") == "cpus:4;mem:4096")
        #expect(engine.allocate(now: .zero).allocations.map(\.framework) == ["B"])
    }

    @Test func agentReregistersWithWhatItRuns() throws {
        var engine = try twoFrameworks()
        try engine.addAgent(
            AgentInfo(id: "s2", hostname: "s2", resources: "cpus:4;mem:4096"),
            holding: [Allocation(framework: "B", role: .any, agentID: "s2", resources: "cpus:3;mem:3072")])
        #expect(engine.free(on: "s2") == "cpus:1;mem:1024")
        #expect(engine.allocation(of: "B") == "cpus:3;mem:3072")
        #expect(throws: AllocationError.self) {
            try engine.addAgent(AgentInfo(id: "s3", hostname: "s3", resources: "cpus:1"), holding: [Allocation(framework: "B", role: .any, agentID: "s3", resources: "cpus:2")])
        }
    }

    @Test func aSmallChangeExaminesOnlyTheAgentThatChanged() throws {
        var engine = AllocationEngine(policy: DRFAllocator())
        for index in 0..<50 { try engine.addFramework(FrameworkID("f\(index)"), info: FrameworkInfo(name: "f\(index)")) }
        for index in 0..<500 { try engine.addAgent(AgentInfo(id: AgentID("s\(index)"), hostname: "s\(index)", resources: "cpus:2;mem:2048")) }
        let first = engine.allocate(now: .zero)
        #expect(first.examinedAgents == 500)
        #expect(first.allocations.count == 500)
        let one = first.allocations[123]
        try engine.recover("cpus:1;mem:1024", of: one.framework, role: one.role, on: one.agentID, now: .zero)
        let next = engine.allocate(now: .zero)
        #expect(next.examinedAgents == 1)
        #expect(next.allocations.map(\.agentID) == [one.agentID])
    }

    @Test func agentsNobodyWantsWaitForAnEligibilityChange() throws {
        var engine = try twoFrameworks()
        try engine.suppress("A")
        try engine.suppress("B")
        #expect(engine.allocate(now: .zero).examinedAgents == 1)
        // Stranded, not re-examined every cycle.
        #expect(engine.allocate(now: .zero).examinedAgents == 0)
        try engine.addFramework("C", info: FrameworkInfo(name: "C"))
        let cycle = engine.allocate(now: .zero)
        #expect(cycle.examinedAgents == 1)
        #expect(cycle.allocations.map(\.framework) == ["C"])
    }

    @Test func replacingThePolicyKeepsAllocations() throws {
        var engine = try twoFrameworks()
        try engine.addAgent(AgentInfo(id: "s2", hostname: "s2", resources: "cpus:4;mem:4096"))
        _ = engine.allocate(now: .zero)
        let before = (engine.allocation(of: "A"), engine.allocation(of: "B"))
        engine.replacePolicy(FIFOAllocator())
        #expect(engine.policyName == "fifo")
        #expect(engine.allocation(of: "A") == before.0)
        #expect(engine.allocation(of: "B") == before.1)
        // Under FIFO the earlier framework now wins what comes back.
        try engine.recover(engine.allocation(of: "B"), of: "B", role: .any, on: "s2", now: .zero)
        #expect(engine.allocate(now: .zero).allocations.map(\.framework) == ["A"])
    }

    @Test func explanationsSayWhoRankedAhead() throws {
        var engine = try twoFrameworks()
        _ = engine.allocate(now: .zero)
        let reasons = engine.explain("B")
        #expect(reasons.contains(.outranked(by: "A", share: 0, theirShare: 1)))
    }

    @Test func fifoServesInRegistrationOrder() throws {
        var engine = AllocationEngine(policy: FIFOAllocator())
        for name in ["first", "second", "third"] { try engine.addFramework(FrameworkID(name), info: FrameworkInfo(name: name)) }
        for index in 0..<3 { try engine.addAgent(AgentInfo(id: AgentID("s\(index)"), hostname: "s\(index)", resources: "cpus:1;mem:1024")) }
        // The first framework takes everything it will take.
        #expect(engine.allocate(now: .zero).allocations.map(\.framework) == ["first", "first", "first"])
        try engine.recover("cpus:1;mem:1024", of: "first", role: .any, on: "s1", filter: Filters(refuse: .seconds(60)), now: .zero)
        #expect(engine.allocate(now: .zero).allocations.map(\.framework) == ["second"])
        #expect(engine.explain("third").contains(.queuedBehind("second")))
    }

    @Test func demandIsServedByAnOfferThatHoldsIt() throws {
        var engine = AllocationEngine(policy: PriorityAllocator())
        try engine.addAgent(AgentInfo(id: "s1", hostname: "s1", resources: "cpus:4;mem:4096"))
        try engine.addAgent(AgentInfo(id: "s2", hostname: "s2", resources: "cpus:4;mem:4096"))
        try engine.addFramework("low", info: FrameworkInfo(name: "low", priority: 0))
        _ = engine.allocate(now: .zero)
        for agent: AgentID in ["s1", "s2"] {
            try engine.taskLaunched(TaskID("t-\(agent)"), of: "low", role: .any, on: agent, resources: "cpus:4;mem:4096", killGracePeriod: .seconds(3))
        }
        try engine.addFramework("high", info: FrameworkInfo(name: "high", priority: 5))
        // Two task-sized requests: the cluster is full, so both are unmet and two tasks are chosen.
        try engine.request([ResourceRequest(resources: "cpus:4"), ResourceRequest(resources: "cpus:4")], by: "high")
        let cycle = engine.allocate(now: .zero)
        #expect(Set(cycle.preemptions.map(\.task.taskID)) == ["t-s1", "t-s2"])
        // One kill completes: its offer serves one request; the other is still being freed.
        let first = cycle.preemptions[0].task
        engine.taskEnded(first.taskID, of: "low")
        try engine.recover(first.resources, of: "low", role: .any, on: first.agentID, now: .zero)
        let served = engine.allocate(now: .zero)
        #expect(served.allocations.map(\.framework) == ["high"])
        #expect(served.preemptions.isEmpty)
        // Declining the offer does not bring the served request back: the framework asks again if it must.
        try engine.recover(served.allocations[0].resources, of: "high", role: .any, on: first.agentID, filter: Filters(refuse: .seconds(60)), now: .zero)
        #expect(engine.allocate(now: .zero).preemptions.isEmpty)
    }

    @Test func requestsAreMetOneAfterAnother() throws {
        var engine = AllocationEngine(policy: PriorityAllocator())
        try engine.addAgent(AgentInfo(id: "s1", hostname: "s1", resources: "cpus:8;mem:8192"))
        try engine.addFramework("low", info: FrameworkInfo(name: "low", priority: 0))
        _ = engine.allocate(now: .zero)
        try engine.recover("cpus:4;mem:4096", of: "low", role: .any, on: "s1", filter: Filters(refuse: .seconds(600)), now: .zero)
        try engine.taskLaunched("t1", of: "low", role: .any, on: "s1", resources: "cpus:4;mem:4096", killGracePeriod: .seconds(3))
        try engine.addFramework("high", info: FrameworkInfo(name: "high", priority: 5))
        try engine.suppress("high")
        // cpus:4 is free: it meets one request, not both; the second needs the running task.
        try engine.request([ResourceRequest(resources: "cpus:4"), ResourceRequest(resources: "cpus:4")], by: "high")
        let cycle = engine.allocate(now: .zero)
        #expect(cycle.preemptions.map(\.task.taskID) == ["t1"])
    }

    /// A framework that is both filtered and suppressed on an agent counts once when deciding
    /// that nobody can take it (found by the conformance suite's scenarios).
    @Test func filteredAndSuppressedCountsOnce() throws {
        var engine = AllocationEngine(policy: FIFOAllocator())
        try engine.addAgent(AgentInfo(id: "s1", hostname: "s1", resources: "cpus:4;mem:4096"))
        try engine.addFramework("A", info: FrameworkInfo(name: "A"))
        try engine.addFramework("B", info: FrameworkInfo(name: "B"))
        #expect(engine.allocate(now: .zero).allocations.map(\.framework) == ["A"])
        try engine.recover("cpus:4;mem:4096", of: "A", role: .any, on: "s1", filter: Filters(refuse: .seconds(3600)), now: .zero)
        #expect(engine.allocate(now: .zero).allocations.map(\.framework) == ["B"])
        try engine.suppress("A")
        try engine.recover("cpus:4;mem:4096", of: "B", role: .any, on: "s1", filter: Filters(refuse: .zero), now: .zero)
        #expect(engine.allocate(now: .zero).allocations.map(\.framework) == ["B"])
    }

    /// A policy that breaks its contract (returns an ineligible candidate) gets nothing offered.
    @Test func anIneligibleAnswerIsNotTrusted() throws {
        struct Stubborn: AllocatorPolicy {
            var name: String { "stubborn" }
            var first: CandidateID?
            mutating func addCandidate(_ candidate: AllocationCandidate) { if first == nil { first = candidate.id } }
            mutating func removeCandidate(_ id: CandidateID) {}
            mutating func addAgent(_ agent: AgentID, total: Resources) {}
            mutating func removeAgent(_ agent: AgentID, total: Resources) {}
            mutating func allocated(_ resources: Resources, to candidate: CandidateID, on agent: AgentID) {}
            mutating func recovered(_ resources: Resources, from candidate: CandidateID, on agent: AgentID) {}
            mutating func pick(for agent: AgentResources, isEligible: (CandidateID) -> Bool) -> CandidateID? { first }
        }
        var engine = AllocationEngine(policy: Stubborn())
        try engine.addAgent(AgentInfo(id: "s1", hostname: "s1", resources: "cpus:4;mem:4096"))
        try engine.addFramework("A", info: FrameworkInfo(name: "A"))
        try engine.suppress("A")
        #expect(engine.allocate(now: .zero).allocations.isEmpty)
        #expect(engine.free(on: "s1") == "cpus:4;mem:4096")
    }
}
