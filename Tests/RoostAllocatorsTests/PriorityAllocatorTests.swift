import RoostAllocators
import RoostCore
import RoostTesting
import Testing

/// What a framework launches in a preemption test: tasks of `task`, up to `remaining`.
/// Task `n` (counting from 1 per framework) is named `<framework>-<n>` and has a kill grace
/// period of `n` seconds, so a test can tell the grace period travelled with the task.
private struct Workload {
    var task: Resources
    var remaining: Int
    var role: Role = .any
    var launched = 0
}

/// Runs cycles until nothing is offered: each offer is filled with as many tasks as fit
/// (recorded with `taskLaunched`) and the rest declined for an hour.
/// Returns the launched task IDs in launch order.
@discardableResult
private func launchAll(_ engine: inout AllocationEngine, _ workloads: inout [FrameworkID: Workload], now: Duration = .zero) throws -> [TaskID] {
    var launched: [TaskID] = []
    for _ in 0..<100 {
        let cycle = engine.allocate(now: now)
        if cycle.allocations.isEmpty { break }
        for allocation in cycle.allocations {
            var left = allocation.resources
            if var workload = workloads[allocation.framework] {
                while workload.remaining > 0, left.contains(workload.task) {
                    workload.remaining -= 1
                    workload.launched += 1
                    let id = TaskID("\(allocation.framework)-\(workload.launched)")
                    try engine.taskLaunched(id, of: allocation.framework, role: allocation.role, on: allocation.agentID, resources: workload.task, killGracePeriod: .seconds(workload.launched))
                    left -= workload.task
                    launched.append(id)
                }
                workloads[allocation.framework] = workload
            }
            if !left.isEmpty {
                try engine.recover(left, of: allocation.framework, role: allocation.role, on: allocation.agentID, filter: Filters(refuse: .seconds(3600)), now: now)
            }
        }
    }
    return launched
}

/// A candidate for direct calls to the policy: candidate `index` is framework `f<index>`.
private func candidate(_ index: Int, priority: Int, role: Role = .any) -> AllocationCandidate {
    AllocationCandidate(id: CandidateID(index), framework: FrameworkID("f\(index)"), role: role, priority: priority, registrationOrder: UInt64(index + 1))
}

/// A policy with one candidate per priority in `priorities` (candidate `i` has `priorities[i]`).
private func policy(_ priorities: [Int]) -> PriorityAllocator {
    var policy = PriorityAllocator()
    for (index, priority) in priorities.enumerated() { policy.addCandidate(candidate(index, priority: priority)) }
    return policy
}

/// A hand-built running task of candidate `owner` (framework `f<owner>`).
private func task(_ id: TaskID, of owner: Int, on agent: AgentID, _ resources: Resources, launch: UInt64) -> RunningTask {
    RunningTask(taskID: id, framework: FrameworkID("f\(owner)"), candidate: CandidateID(owner), agentID: agent, resources: resources, launchOrder: launch, killGracePeriod: .seconds(10))
}

private func agent(_ id: AgentID, total: Resources = "cpus:8;mem:8192", free: Resources = "") -> AgentResources {
    AgentResources(id: id, hostname: id.value, total: total, free: free)
}

struct PriorityAllocatorTests {
    // MARK: Ordering

    /// A high-priority framework gets every offer while it wants them; the low one only
    /// after the high one declines.
    @Test func strictPriorityOrder() throws {
        var engine = AllocationEngine(policy: PriorityAllocator())
        try engine.addAgent(AgentInfo(id: "s1", hostname: "s1", resources: "cpus:8;mem:8192"))
        // The low one registers first: registration order must not beat priority.
        try engine.addFramework("low", info: FrameworkInfo(name: "low", priority: 0))
        try engine.addFramework("high", info: FrameworkInfo(name: "high", priority: 10))
        var frameworks = [
            ToyFramework(id: "high", task: "cpus:1;mem:1024", remaining: 3),
            ToyFramework(id: "low", task: "cpus:1;mem:1024", remaining: 100),
        ]
        let order = try fillProgressively(&engine, &frameworks)
        #expect(order == ["high", "high", "high", "low", "low", "low", "low", "low"])
        #expect(engine.policyName == "priority")
    }

    /// Suppressing the high-priority framework lets the low one be offered; reviving puts
    /// the high one first again.
    @Test func lowerPriorityOfferedWhenHigherSuppresses() throws {
        var engine = AllocationEngine(policy: PriorityAllocator())
        try engine.addAgent(AgentInfo(id: "s1", hostname: "s1", resources: "cpus:4;mem:4096"))
        try engine.addFramework("low", info: FrameworkInfo(name: "low", priority: 0))
        try engine.addFramework("high", info: FrameworkInfo(name: "high", priority: 10))
        try engine.suppress("high")
        let first = engine.allocate(now: .zero)
        #expect(first.allocations.map(\.framework) == ["low"])
        #expect(engine.explain("high").contains(.suppressed))

        try engine.recover("cpus:4;mem:4096", of: "low", role: .any, on: "s1", now: .zero)
        try engine.revive("high")
        let second = engine.allocate(now: .zero)
        #expect(second.allocations.map(\.framework) == ["high"])
        #expect(second.allocations.first?.resources == "cpus:4;mem:4096")
    }

    /// Among equal priorities the policy is DRF: the paper's worked example gives A three
    /// tasks and B two, while a lower-priority framework gets nothing they could use.
    @Test func drfAmongEqualPriorities() throws {
        var engine = AllocationEngine(policy: PriorityAllocator())
        try engine.addAgent(AgentInfo(id: "s1", hostname: "s1", resources: "cpus:9;mem:18432"))
        try engine.addFramework("low", info: FrameworkInfo(name: "low", priority: 0))
        try engine.addFramework("A", info: FrameworkInfo(name: "A", priority: 5))
        try engine.addFramework("B", info: FrameworkInfo(name: "B", priority: 5))
        var frameworks = [
            ToyFramework(id: "A", task: "cpus:1;mem:4096", remaining: 100),
            ToyFramework(id: "B", task: "cpus:3;mem:1024", remaining: 100),
            ToyFramework(id: "low", task: "cpus:1;mem:1024", remaining: 100),
        ]
        let order = try fillProgressively(&engine, &frameworks)
        #expect(order == ["A", "B", "A", "B", "A"])
        #expect(frameworks.map(\.launched) == [3, 2, 0])
    }

    /// Role weights divide shares among equal priorities: the role weighing 2 gets twice as much.
    @Test func weightsAmongEqualPriorities() throws {
        var engine = AllocationEngine(policy: PriorityAllocator(configuration: .init(weights: ["heavy": 2])))
        try engine.addAgent(AgentInfo(id: "s1", hostname: "s1", resources: "cpus:12;mem:12288"))
        try engine.addFramework("A", info: FrameworkInfo(name: "A", roles: ["light"], priority: 3))
        try engine.addFramework("B", info: FrameworkInfo(name: "B", roles: ["heavy"], priority: 3))
        var frameworks = [
            ToyFramework(id: "A", role: "light", task: "cpus:1;mem:1024", remaining: 100),
            ToyFramework(id: "B", role: "heavy", task: "cpus:1;mem:1024", remaining: 100),
        ]
        _ = try fillProgressively(&engine, &frameworks)
        #expect(frameworks.map(\.launched) == [4, 8])
    }

    /// A weight set at run time through the engine takes effect the same way.
    @Test func weightChangedAtRunTime() throws {
        var engine = AllocationEngine(policy: PriorityAllocator())
        try engine.addAgent(AgentInfo(id: "s1", hostname: "s1", resources: "cpus:12;mem:12288"))
        try engine.addFramework("A", info: FrameworkInfo(name: "A", roles: ["light"]))
        try engine.addFramework("B", info: FrameworkInfo(name: "B", roles: ["heavy"]))
        try engine.setWeight(3, for: "heavy")
        var frameworks = [
            ToyFramework(id: "A", role: "light", task: "cpus:1;mem:1024", remaining: 100),
            ToyFramework(id: "B", role: "heavy", task: "cpus:1;mem:1024", remaining: 100),
        ]
        _ = try fillProgressively(&engine, &frameworks)
        #expect(frameworks.map(\.launched) == [3, 9])
    }

    /// Raising a framework's priority with `updateFramework` moves it ahead at once,
    /// keeping what it holds.
    @Test func priorityChangeViaUpdateFramework() throws {
        var engine = AllocationEngine(policy: PriorityAllocator())
        try engine.addAgent(AgentInfo(id: "s1", hostname: "s1", resources: "cpus:4;mem:4096"))
        try engine.addAgent(AgentInfo(id: "s2", hostname: "s2", resources: "cpus:4;mem:4096"))
        try engine.addFramework("a", info: FrameworkInfo(name: "a", priority: 0))
        try engine.addFramework("b", info: FrameworkInfo(name: "b", priority: 5))
        let first = engine.allocate(now: .zero)
        #expect(first.allocations.map(\.framework) == ["b", "b"])

        try engine.updateFramework("a", info: FrameworkInfo(name: "a", priority: 7))
        try engine.recover("cpus:4;mem:4096", of: "b", role: .any, on: "s1", now: .zero)
        let second = engine.allocate(now: .zero)
        #expect(second.allocations.map(\.framework) == ["a"])
        #expect(engine.allocation(of: "b") == "cpus:4;mem:4096")

        // And back down: b is ahead again.
        try engine.updateFramework("a", info: FrameworkInfo(name: "a", priority: 1))
        try engine.recover("cpus:4;mem:4096", of: "a", role: .any, on: "s1", now: .zero)
        let third = engine.allocate(now: .zero)
        #expect(third.allocations.map(\.framework) == ["b"])
    }

    /// Adding an agent later (new cluster totals, shares recomputed) keeps the order correct.
    @Test func sharesRecomputedWhenClusterGrows() throws {
        var policy = PriorityAllocator()
        policy.addCandidate(candidate(0, priority: 1))
        policy.addCandidate(candidate(1, priority: 1))
        policy.addAgent("s1", total: "cpus:4;mem:4096")
        policy.allocated("cpus:2;mem:1024", to: CandidateID(0), on: "s1")
        policy.allocated("cpus:1;mem:1024", to: CandidateID(1), on: "s1")
        #expect(policy.share(of: CandidateID(0)) == 0.5)
        policy.addAgent("s2", total: "cpus:4;mem:4096")
        #expect(policy.share(of: CandidateID(0)) == 0.25)
        let view = agent("s2", free: "cpus:4;mem:4096")
        #expect(policy.pick(for: view) { _ in true } == CandidateID(1))
        #expect(policy.pick(for: view) { $0 != CandidateID(1) } == CandidateID(0))
        #expect(policy.pick(for: view) { _ in false } == nil)
    }

    /// A weight change after shares are known moves the role's candidates at once.
    @Test func setWeightRepositions() {
        var policy = PriorityAllocator()
        policy.addCandidate(candidate(0, priority: 0, role: "a"))
        policy.addCandidate(candidate(1, priority: 0, role: "b"))
        policy.addAgent("s1", total: "cpus:4")
        let view = agent("s1", free: "cpus:4")
        #expect(policy.pick(for: view) { _ in true } == CandidateID(0))
        policy.allocated("cpus:2", to: CandidateID(0), on: "s1")
        policy.allocated("cpus:1", to: CandidateID(1), on: "s1")
        #expect(policy.pick(for: view) { _ in true } == CandidateID(1))
        // Role a's 0.5 weighs 4: 0.125, below b's 0.25.
        policy.setWeight(4, for: "a")
        #expect(policy.pick(for: view) { _ in true } == CandidateID(0))
        policy.recovered("cpus:2", from: CandidateID(0), on: "s1")
        #expect(policy.share(of: CandidateID(0)) == 0)
    }

    /// The policy keeps the contract the engine relies on (RoostTesting's conformance suite).
    ///
    /// `engineConsistency` is skipped: it checks the engine, not the policy, and fails
    /// for `DRFAllocator` too, because the engine's per-framework `holding` total unites
    /// ports and sets across agents, so returning ports on one agent drops the same port
    /// numbers still held on another.
    @Test func conformsToTheAllocatorPolicyContract() {
        let violations = AllocatorPolicyConformance.check(.init(skipping: [.engineConsistency])) { PriorityAllocator() }
        #expect(violations.isEmpty, "\(violations)")
    }

    // MARK: Explanations

    /// A framework that got nothing because a higher-priority one took it is told so;
    /// among equal priorities the explanation is DRF's.
    @Test func explanations() throws {
        var engine = AllocationEngine(policy: PriorityAllocator())
        try engine.addAgent(AgentInfo(id: "s1", hostname: "s1", resources: "cpus:4;mem:4096"))
        try engine.addFramework("low", info: FrameworkInfo(name: "low", priority: 1))
        try engine.addFramework("peer", info: FrameworkInfo(name: "peer", priority: 9))
        try engine.addFramework("high", info: FrameworkInfo(name: "high", priority: 9))
        let cycle = engine.allocate(now: .zero)
        // peer and high tie on priority and share; peer registered first.
        #expect(cycle.allocations.map(\.framework) == ["peer"])
        #expect(engine.explain("low") == [.lowerPriority(than: "peer", priority: 1, theirPriority: 9)])
        #expect(engine.explain("high") == [.outranked(by: "peer", share: 0, theirShare: 1)])
        #expect(engine.explain("peer") == [])
    }

    // MARK: Preemption through the engine

    /// Two agents filled by a low-priority framework; then a high-priority one registers.
    private func filledCluster() throws -> AllocationEngine {
        var engine = AllocationEngine(policy: PriorityAllocator())
        try engine.addAgent(AgentInfo(id: "s1", hostname: "s1", resources: "cpus:4;mem:4096"))
        try engine.addAgent(AgentInfo(id: "s2", hostname: "s2", resources: "cpus:4;mem:4096"))
        try engine.addFramework("low", info: FrameworkInfo(name: "low", priority: 0))
        var workloads: [FrameworkID: Workload] = ["low": Workload(task: "cpus:1;mem:1024", remaining: 100)]
        let launched = try launchAll(&engine, &workloads)
        // low-1…low-4 on s1, low-5…low-8 on s2.
        precondition(launched.count == 8 && engine.free(on: "s1")!.isEmpty && engine.free(on: "s2")!.isEmpty)
        try engine.addFramework("high", info: FrameworkInfo(name: "high", priority: 10))
        return engine
    }

    /// The end-to-end story: the minimal youngest victims, with their grace periods; not
    /// chosen twice; the freed resources go to the high-priority framework; the victim's
    /// framework is told why.
    @Test func preemptionEndToEnd() throws {
        var engine = try filledCluster()
        try engine.request([ResourceRequest(resources: "cpus:2;mem:2048")], by: "high")
        let cycle = engine.allocate(now: .zero)
        #expect(cycle.allocations.isEmpty)
        // Two kills either way; s2 holds the youngest tasks.
        #expect(cycle.preemptions.map(\.task.taskID) == ["low-8", "low-7"])
        #expect(cycle.preemptions.map(\.task.killGracePeriod) == [.seconds(8), .seconds(7)])
        #expect(cycle.preemptions.allSatisfy { $0.beneficiary == "high" && $0.task.agentID == "s2" && $0.task.framework == "low" })

        // Before the kills complete, another cycle chooses nothing more.
        let again = engine.allocate(now: .zero)
        #expect(again.preemptions.isEmpty)
        #expect(again.allocations.isEmpty)

        // The kills complete: the freed resources are offered to the high-priority framework.
        for preemption in cycle.preemptions {
            engine.taskEnded(preemption.task.taskID, of: preemption.task.framework)
            try engine.recover(preemption.task.resources, of: "low", role: .any, on: preemption.task.agentID, now: .zero)
        }
        let freed = engine.allocate(now: .zero)
        #expect(freed.allocations == [Allocation(framework: "high", role: .any, agentID: "s2", resources: "cpus:2;mem:2048")])
        #expect(freed.preemptions.isEmpty)

        let reasons = engine.explain("low")
        #expect(reasons.contains(.preempted(by: "high")))
        #expect(reasons.contains(.lowerPriority(than: "high", priority: 0, theirPriority: 10)))
    }

    /// A kill still pending is not chosen again when the demand grows; the new victims are
    /// the next youngest, counting the pending kills as freed.
    @Test func pendingPreemptionsNotChosenTwice() throws {
        var engine = try filledCluster()
        try engine.request([ResourceRequest(resources: "cpus:2;mem:2048")], by: "high")
        let first = engine.allocate(now: .zero)
        #expect(first.preemptions.map(\.task.taskID) == ["low-8", "low-7"])

        try engine.request([ResourceRequest(resources: "cpus:4;mem:4096")], by: "high")
        let second = engine.allocate(now: .zero)
        // s2 already frees two; two more there beat four on s1.
        #expect(second.preemptions.map(\.task.taskID) == ["low-6", "low-5"])
        #expect(Set(second.preemptions.map(\.task.taskID)).isDisjoint(with: first.preemptions.map(\.task.taskID)))

        let third = engine.allocate(now: .zero)
        #expect(third.preemptions.isEmpty)
    }

    /// A request pinned to an agent only considers that agent's tasks.
    @Test func pinnedRequestConsidersOnlyThatAgent() throws {
        var engine = try filledCluster()
        try engine.request([ResourceRequest(agentID: "s1", resources: "cpus:1;mem:1024")], by: "high")
        let cycle = engine.allocate(now: .zero)
        #expect(cycle.preemptions.map(\.task.taskID) == ["low-4"])
        #expect(cycle.preemptions.map(\.task.agentID) == ["s1"])
    }

    /// Lowest priority first, even when a higher (but still lower than the requester's)
    /// priority task is younger; then youngest within a priority.
    @Test func lowestPriorityBeforeYoungest() throws {
        var engine = AllocationEngine(policy: PriorityAllocator())
        try engine.addAgent(AgentInfo(id: "s1", hostname: "s1", resources: "cpus:4;mem:4096"))
        try engine.addFramework("low", info: FrameworkInfo(name: "low", priority: 0))
        var workloads: [FrameworkID: Workload] = ["low": Workload(task: "cpus:1;mem:1024", remaining: 2)]
        try launchAll(&engine, &workloads)
        try engine.addFramework("mid", info: FrameworkInfo(name: "mid", priority: 5))
        workloads["mid"] = Workload(task: "cpus:1;mem:1024", remaining: 2)
        let launched = try launchAll(&engine, &workloads)
        #expect(launched == ["mid-1", "mid-2"])
        try engine.addFramework("high", info: FrameworkInfo(name: "high", priority: 10))

        try engine.request([ResourceRequest(resources: "cpus:3;mem:3072")], by: "high")
        let cycle = engine.allocate(now: .zero)
        #expect(cycle.preemptions.map(\.task.taskID) == ["low-2", "low-1", "mid-2"])
    }

    /// Tasks of equal priority are never chosen; when the lower-priority tasks cannot make
    /// room, nothing is.
    @Test func equalPriorityNeverChosenAndNothingWhenUnmeetable() throws {
        var engine = AllocationEngine(policy: PriorityAllocator())
        try engine.addAgent(AgentInfo(id: "s1", hostname: "s1", resources: "cpus:4;mem:4096"))
        try engine.addFramework("peer", info: FrameworkInfo(name: "peer", priority: 10))
        var workloads: [FrameworkID: Workload] = ["peer": Workload(task: "cpus:1;mem:1024", remaining: 2)]
        try launchAll(&engine, &workloads)
        try engine.addFramework("low", info: FrameworkInfo(name: "low", priority: 0))
        workloads["low"] = Workload(task: "cpus:1;mem:1024", remaining: 2)
        try launchAll(&engine, &workloads)
        #expect(engine.free(on: "s1") == Resources())
        try engine.addFramework("high", info: FrameworkInfo(name: "high", priority: 10))

        // Killing both low tasks frees two CPUs: not enough for three.
        try engine.request([ResourceRequest(resources: "cpus:3;mem:1024")], by: "high")
        #expect(engine.allocate(now: .zero).preemptions.isEmpty)

        // Two CPUs can be freed, from low's tasks only.
        try engine.request([ResourceRequest(resources: "cpus:2;mem:1024")], by: "high")
        let cycle = engine.allocate(now: .zero)
        #expect(cycle.preemptions.map(\.task.taskID) == ["low-2", "low-1"])
        #expect(!cycle.preemptions.contains { $0.task.framework == "peer" })
    }

    /// A demand larger than any agent preempts nothing.
    @Test func nothingWhenDemandExceedsEveryAgent() throws {
        var engine = try filledCluster()
        try engine.request([ResourceRequest(resources: "cpus:5;mem:1024")], by: "high")
        #expect(engine.allocate(now: .zero).preemptions.isEmpty)
        // Pinned to an agent that does not exist.
        try engine.request([ResourceRequest(agentID: "nowhere", resources: "cpus:1")], by: "high")
        #expect(engine.allocate(now: .zero).preemptions.isEmpty)
    }

    /// A framework whose priority is raised above the running tasks' may then preempt them.
    @Test func priorityChangeEnablesPreemption() throws {
        var engine = try filledCluster()
        try engine.addFramework("late", info: FrameworkInfo(name: "late", priority: 0))
        try engine.request([ResourceRequest(resources: "cpus:1;mem:1024")], by: "late")
        #expect(engine.allocate(now: .zero).preemptions.isEmpty)
        try engine.updateFramework("late", info: FrameworkInfo(name: "late", priority: 1))
        #expect(engine.allocate(now: .zero).preemptions.map(\.task.taskID) == ["low-8"])
    }

    // MARK: victims, directly

    /// Greedy by preference takes the two young small tasks first; they are not enough, so
    /// the old big one is added, and pruning drops both small ones: one kill suffices.
    @Test func victimsArePrunedToAMinimalSet() {
        let policy = policy([0, 10])
        let running = [
            task("big", of: 0, on: "s1", "cpus:4;mem:4096", launch: 1),
            task("small-1", of: 0, on: "s1", "cpus:1;mem:1024", launch: 2),
            task("small-2", of: 0, on: "s1", "cpus:1;mem:1024", launch: 3),
        ]
        let result = policy.victims(for: [ResourceRequest(resources: "cpus:4;mem:2048")], of: CandidateID(1), running: running, agents: [agent("s1", total: "cpus:6;mem:6144")])
        #expect(result.map(\.task.taskID) == ["big"])
        #expect(result.map(\.beneficiary) == ["f1"])
    }

    /// Minimal means no victim can be spared: for every victim, the request no longer fits
    /// without it.
    @Test func noVictimCanBeDropped() {
        let policy = policy([0, 1, 10])
        let running = [
            task("a", of: 0, on: "s1", "cpus:2;mem:512", launch: 1),
            task("b", of: 1, on: "s1", "cpus:1;mem:4096", launch: 2),
            task("c", of: 0, on: "s1", "cpus:1;mem:256", launch: 3),
            task("d", of: 1, on: "s1", "cpus:3;mem:1024", launch: 4),
            task("e", of: 0, on: "s1", "cpus:1;mem:256", launch: 5),
        ]
        let free: Resources = "cpus:1;mem:1024"
        let request: Resources = "cpus:4;mem:3072"
        let result = policy.victims(for: [ResourceRequest(resources: request)], of: CandidateID(2), running: running, agents: [agent("s1", free: free)])
        #expect(!result.isEmpty)
        let freed = result.reduce(free) { $0 + $1.task.resources }
        #expect(freed.contains(request))
        for dropped in result {
            let without = result.filter { $0 != dropped }.reduce(free) { $0 + $1.task.resources }
            #expect(!without.contains(request), "\(dropped.task.taskID) could have been spared")
        }
        // Lowest priority first: all of f0's tasks and only then f1's.
        #expect(result.map(\.task.taskID) == ["e", "c", "a", "d"])
    }

    /// Among tasks of one priority the youngest go first.
    @Test func youngestFirstWithinAPriority() {
        let policy = policy([0, 10])
        let running = (1...4).map { task(TaskID("t\($0)"), of: 0, on: "s1", "cpus:1", launch: UInt64($0)) }
        let result = policy.victims(for: [ResourceRequest(resources: "cpus:2")], of: CandidateID(1), running: running.reversed(), agents: [agent("s1")])
        #expect(result.map(\.task.taskID) == ["t4", "t3"])
    }

    /// Only strictly lower priorities are victims; the requester's own and higher ones never.
    @Test func onlyStrictlyLowerPriorities() {
        let policy = policy([5, 5, 7, 4])
        let running = [
            task("peer", of: 0, on: "s1", "cpus:4", launch: 9),
            task("higher", of: 2, on: "s1", "cpus:4", launch: 8),
            task("lower", of: 3, on: "s1", "cpus:1", launch: 1),
        ]
        let request = [ResourceRequest(resources: "cpus:2")]
        #expect(policy.victims(for: request, of: CandidateID(1), running: running, agents: [agent("s1")]).isEmpty)
        let one = [ResourceRequest(resources: "cpus:1")]
        #expect(policy.victims(for: one, of: CandidateID(1), running: running, agents: [agent("s1")]).map(\.task.taskID) == ["lower"])
    }

    /// The agent needing the fewest kills wins, even when its victims are older.
    @Test func fewestKillsAcrossAgents() {
        let policy = policy([0, 10])
        let running = [
            task("s1-a", of: 0, on: "s1", "cpus:1", launch: 10),
            task("s1-b", of: 0, on: "s1", "cpus:1", launch: 11),
            task("s2-big", of: 0, on: "s2", "cpus:2", launch: 1),
        ]
        let result = policy.victims(for: [ResourceRequest(resources: "cpus:2")], of: CandidateID(1), running: running, agents: [agent("s1"), agent("s2")])
        #expect(result.map(\.task.taskID) == ["s2-big"])
        // Free resources that already suffice on some agent need no kills.
        let roomy = policy.victims(for: [ResourceRequest(resources: "cpus:2")], of: CandidateID(1), running: running, agents: [agent("s1"), agent("s2"), agent("s3", free: "cpus:2")])
        #expect(roomy.isEmpty)
    }

    /// Equal plans on two agents: the lower-priority victims win, then the younger ones,
    /// then the smaller agent ID.
    @Test func agentTieBreaks() {
        let policy = policy([0, 1, 10])
        let byPriority = [
            task("s1-mid", of: 1, on: "s1", "cpus:1", launch: 5),
            task("s2-low", of: 0, on: "s2", "cpus:1", launch: 1),
        ]
        let request = [ResourceRequest(resources: "cpus:1")]
        let agents = [agent("s1"), agent("s2")]
        #expect(policy.victims(for: request, of: CandidateID(2), running: byPriority, agents: agents).map(\.task.taskID) == ["s2-low"])

        let byAge = [
            task("s1-old", of: 0, on: "s1", "cpus:1", launch: 1),
            task("s2-young", of: 0, on: "s2", "cpus:1", launch: 2),
        ]
        #expect(policy.victims(for: request, of: CandidateID(2), running: byAge, agents: agents).map(\.task.taskID) == ["s2-young"])

        let identical = [
            task("on-s2", of: 0, on: "s2", "cpus:1", launch: 3),
            task("on-s1", of: 0, on: "s1", "cpus:1", launch: 3),
        ]
        #expect(policy.victims(for: request, of: CandidateID(2), running: identical, agents: agents.reversed()).map(\.task.taskID) == ["on-s1"])
    }

    /// Victims of one request count as freed for the next on the same agent, and no task
    /// is chosen twice.
    @Test func earlierVictimsCountForLaterRequests() {
        let policy = policy([0, 10])
        let one = [task("two-cpus", of: 0, on: "s1", "cpus:2", launch: 1)]
        let halves = [ResourceRequest(resources: "cpus:1"), ResourceRequest(resources: "cpus:1")]
        #expect(policy.victims(for: halves, of: CandidateID(1), running: one, agents: [agent("s1")]).map(\.task.taskID) == ["two-cpus"])

        let two = [
            task("x", of: 0, on: "s1", "cpus:2", launch: 1),
            task("y", of: 0, on: "s1", "cpus:2", launch: 2),
        ]
        let wholes = [ResourceRequest(resources: "cpus:2"), ResourceRequest(resources: "cpus:2")]
        #expect(policy.victims(for: wholes, of: CandidateID(1), running: two, agents: [agent("s1")]).map(\.task.taskID) == ["y", "x"])
        // A third request cannot be met: the first two still get theirs.
        let three = wholes + [ResourceRequest(resources: "cpus:2")]
        #expect(policy.victims(for: three, of: CandidateID(1), running: two, agents: [agent("s1")]).map(\.task.taskID) == ["y", "x"])
    }

    /// A large victim chosen for a later request makes a small one chosen for an earlier
    /// request on the same agent redundant: it is dropped.
    @Test func laterVictimsPruneEarlierOnes() {
        let policy = policy([0, 10])
        let running = [
            task("small", of: 0, on: "s1", "cpus:1", launch: 2),
            task("large", of: 0, on: "s1", "cpus:3", launch: 1),
        ]
        let demand = [ResourceRequest(resources: "cpus:1"), ResourceRequest(resources: "cpus:2")]
        #expect(policy.victims(for: demand, of: CandidateID(1), running: running, agents: [agent("s1")]).map(\.task.taskID) == ["large"])
    }

    /// The same inputs in any order give the same answer.
    @Test func deterministic() {
        let policy = policy([0, 2, 10])
        var running: [RunningTask] = []
        for index in 0..<12 {
            let agentID = AgentID("s\(index % 3)")
            running.append(task(TaskID("t\(index)"), of: index % 2, on: agentID, "cpus:1;mem:512", launch: UInt64(index / 2)))
        }
        let agents = [agent("s0"), agent("s1"), agent("s2", free: "cpus:1")]
        let demand = [ResourceRequest(resources: "cpus:3;mem:1024"), ResourceRequest(resources: "cpus:2;mem:1024")]
        let expected = policy.victims(for: demand, of: CandidateID(2), running: running, agents: agents)
        #expect(!expected.isEmpty)
        for seed in 1...5 {
            var generator = SplitMix64(seed: UInt64(seed))
            let again = policy.victims(for: demand, of: CandidateID(2), running: running.shuffled(using: &generator), agents: agents.shuffled(using: &generator))
            #expect(again == expected)
        }
    }

    /// Resources reserved for another role are of no use to the requester; tasks holding
    /// only those are not killed, nor tasks of unknown candidates or on unknown agents.
    @Test func uselessOrUnknownTasksAreNotChosen() {
        var policy = policy([0, 10])
        policy.addCandidate(candidate(2, priority: 0, role: "other"))
        let running = [
            task("reserved", of: 2, on: "s1", "cpus(other):4", launch: 9),
            RunningTask(taskID: "stranger", framework: "ghost", candidate: CandidateID(7), agentID: "s1", resources: "cpus:4", launchOrder: 8, killGracePeriod: .zero),
            task("elsewhere", of: 0, on: "s9", "cpus:4", launch: 7),
            task("useful", of: 0, on: "s1", "cpus:1", launch: 1),
        ]
        let result = policy.victims(for: [ResourceRequest(resources: "cpus:1")], of: CandidateID(1), running: running, agents: [agent("s1")])
        #expect(result.map(\.task.taskID) == ["useful"])
        #expect(policy.victims(for: [ResourceRequest(resources: "cpus:2")], of: CandidateID(1), running: running, agents: [agent("s1")]).isEmpty)
        // An unknown requester gets nothing.
        #expect(policy.victims(for: [ResourceRequest(resources: "cpus:1")], of: CandidateID(42), running: running, agents: [agent("s1")]).isEmpty)
    }

    /// A priority change reaches preemption at once: a task whose framework now ranks as
    /// high as the requester is spared.
    @Test func updateCandidateAffectsVictims() {
        var policy = policy([0, 10])
        let running = [task("t", of: 0, on: "s1", "cpus:1", launch: 1)]
        let demand = [ResourceRequest(resources: "cpus:1")]
        #expect(policy.victims(for: demand, of: CandidateID(1), running: running, agents: [agent("s1")]).count == 1)
        policy.updateCandidate(candidate(0, priority: 10))
        #expect(policy.priority(of: CandidateID(0)) == 10)
        #expect(policy.victims(for: demand, of: CandidateID(1), running: running, agents: [agent("s1")]).isEmpty)
    }
}
