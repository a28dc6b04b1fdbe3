import RoostCore
import RoostService
import RoostTesting
import Testing

/// A deterministic little world that carries out the planner's plans: launched instances stage
/// for 1–3 steps, run unhealthy for 0–2 more, then turn healthy; killed instances linger for
/// 1–3 steps before they are gone. Optionally, running instances crash or fail their health
/// checks for a while, or the service is rescaled mid-deployment. No clock, no sleeps: a step is one planner call.
struct DeploymentSimulation {
    /// One instance and how many steps until its next transition.
    private struct Member {
        var snapshot: InstanceSnapshot
        var countdown: Int
        /// Steps left of an injected health failure.
        var sickFor = 0
    }

    let strategy: UpgradeStrategy
    private(set) var instances: Int
    let killSelection: KillSelection
    /// Percent chance per step of injecting a failure, while `failureBudget` lasts.
    let failureChance: Int
    private(set) var failureBudget: Int
    private var rng: SplitMix64
    private var members: [Member]
    private var nextID = 0
    private var step = 0
    private var killed: Set<TaskID> = []
    /// Everything that broke an invariant, one line each.
    private(set) var violations: [String] = []
    /// Failures injected so far.
    private(set) var failuresInjected = 0
    /// Whether the service was rescaled: the floor and ceiling moved under instances already there.
    private var rescaled = false

    init(strategy: UpgradeStrategy, instances: Int, killSelection: KillSelection = .youngestFirst,
         seed: UInt64, failureChance: Int = 0, failureBudget: Int = 0) {
        self.strategy = strategy
        self.instances = instances
        self.killSelection = killSelection
        self.failureChance = failureChance
        self.failureBudget = failureBudget
        rng = SplitMix64(seed: seed)
        members = []
        for _ in 0..<instances { members.append(Member(snapshot: newInstance("v1", phase: .running, healthy: true), countdown: 0)) }
    }

    var floor: Int { min(instances, strategy.minimumHealthy(of: instances)) }
    var ceiling: Int { max(instances, strategy.maximumRunning(of: instances)) }
    var healthy: Int { members.count(where: { $0.snapshot.countsAsHealthy }) }
    var snapshots: [InstanceSnapshot] { members.map(\.snapshot) }

    private mutating func newInstance(_ version: String, phase: InstanceSnapshot.Phase, healthy: Bool) -> InstanceSnapshot {
        nextID += 1
        return InstanceSnapshot(
            id: TaskID("t-\(nextID)"), version: version, phase: phase, healthy: healthy,
            startedAt: Timestamp(secondsSinceEpoch: Double(step)))
    }

    /// Runs a deployment to `version` for at most `limit` steps, changing the instance count at
    /// `rescale.step` when given; returns the steps it took to complete, or nil when it did not.
    mutating func deploy(_ version: String, limit: Int, rescale: (step: Int, instances: Int)? = nil) -> Int? {
        for _ in 0..<limit {
            step += 1
            if let rescale, rescale.step == step {
                instances = rescale.instances
                rescaled = true
            }
            advance()
            injectFailure()
            let present = members.count
            let plan = InstancePlanner.plan(
                version: version, instances: instances, strategy: strategy, killSelection: killSelection, current: snapshots)
            check(plan)
            if plan.isComplete, plan.hasActions { violations.append("step \(step): complete plan with actions: \(plan.summary)") }
            if plan.isComplete, rescale == nil || rescaled { return step }
            apply(plan, version: version)
            // After a scale-down more than the new ceiling may be present; the planner must not add to them.
            if members.count > (rescaled ? max(ceiling, present) : ceiling) {
                violations.append("step \(step): \(members.count) present, ceiling \(ceiling)")
            }
            if failuresInjected == 0, !rescaled, healthy < floor {
                violations.append("step \(step): \(healthy) healthy after the plan, floor \(floor): \(plan.summary)")
            }
        }
        return nil
    }

    /// Moves every instance one step along its life.
    private mutating func advance() {
        for index in members.indices.reversed() {
            if members[index].countdown > 0 { members[index].countdown -= 1; continue }
            switch members[index].snapshot.phase {
            case .launching:
                members[index].snapshot.phase = .running
                members[index].countdown = rng.int(in: 0...2)
            case .running:
                if members[index].sickFor > 0 {
                    members[index].sickFor -= 1
                    members[index].snapshot.healthy = members[index].sickFor == 0
                } else {
                    members[index].snapshot.healthy = true
                }
            case .killing:
                members.remove(at: index)
            }
        }
    }

    /// Crashes a running instance, or makes one fail its health checks for a few steps.
    private mutating func injectFailure() {
        guard failureBudget > 0, rng.chance(failureChance) else { return }
        let running = members.indices.filter { members[$0].snapshot.phase == .running }
        guard !running.isEmpty else { return }
        let victim = rng.element(of: running)
        if rng.chance(50) {
            members.remove(at: victim)
        } else {
            members[victim].snapshot.healthy = false
            members[victim].sickFor = rng.int(in: 1...3)
        }
        failureBudget -= 1
        failuresInjected += 1
    }

    /// The invariants every plan keeps, whatever happened before it; the world's floor only
    /// while nothing outside the planner lowered health or moved the bounds.
    private mutating func check(_ plan: InstancePlan) {
        let byID = Dictionary(uniqueKeysWithValues: members.map { ($0.snapshot.id, $0.snapshot) })
        for id in plan.kill {
            if killed.contains(id) { violations.append("step \(step): \(id) killed twice") }
            if byID[id] == nil { violations.append("step \(step): \(id) killed but unknown") }
            if byID[id]?.phase == .killing { violations.append("step \(step): \(id) killed while being killed") }
            killed.insert(id)
        }
        if Set(plan.kill).count != plan.kill.count { violations.append("step \(step): duplicate kill in \(plan.kill)") }
        if plan.launch > 0, members.count + plan.launch > ceiling {
            violations.append("step \(step): launches \(plan.launch) with \(members.count) present, ceiling \(ceiling)")
        }
        let before = healthy
        if plan.healthyAfterKills < min(floor, before) {
            violations.append("step \(step): the plan itself takes healthy from \(before) to \(plan.healthyAfterKills), floor \(floor)")
        }
        if failuresInjected == 0, !rescaled, before < floor {
            violations.append("step \(step): \(before) healthy, floor \(floor)")
        }
    }

    /// Carries a plan out: kills start draining, launches start staging.
    private mutating func apply(_ plan: InstancePlan, version: String) {
        for id in plan.kill {
            guard let index = members.firstIndex(where: { $0.snapshot.id == id }) else { continue }
            members[index].snapshot.phase = .killing
            members[index].snapshot.healthy = false
            members[index].countdown = rng.int(in: 0...2)
        }
        for _ in 0..<plan.launch {
            members.append(Member(snapshot: newInstance(version, phase: .launching, healthy: false), countdown: rng.int(in: 0...2)))
        }
    }

    /// Whether the service runs exactly `instances` healthy instances of `version`.
    func converged(on version: String) -> Bool {
        members.count == instances && members.allSatisfy { $0.snapshot.version == version && $0.snapshot.countsAsHealthy }
    }
}

@Suite("Instance planner invariants under simulation")
struct InstancePlannerSimulationTests {
    static let capacities: [(Double, Double)] = [(1, 1), (1, 0.5), (0.5, 0), (0, 0), (0.5, 0.5), (0.75, 0.25), (0, 1)]
    static let sizes = [1, 2, 3, 5, 10]

    /// Steps a deployment of `n` may take: each instance needs at most 3 steps to start, 3 to
    /// become healthy and 3 to drain, and the tightest strategies replace one at a time.
    static func limit(_ n: Int, failures: Int = 0) -> Int { 10 * n + 20 + 10 * failures }

    @Test("A rolling upgrade keeps the floor and ceiling at every step and completes", arguments: capacities, sizes)
    func rollingUpgrade(capacity: (Double, Double), n: Int) {
        let strategy = UpgradeStrategy(minimumHealthCapacity: capacity.0, maximumOverCapacity: capacity.1)
        guard strategy.hasRoomToReplace(instances: n) else {
            // The planner cannot move, and the validator has a reason to give.
            let plan = InstancePlanner.plan(
                version: "v2", instances: n, strategy: strategy, killSelection: .youngestFirst, current: healthyFleet("a", "v1", n))
            #expect(!plan.hasActions)
            #expect(plan.blockedReason == strategy.noRoomToReplaceReason(instances: n))
            #expect(plan.blockedReason != nil)
            return
        }
        for seed in UInt64(1)...20 {
            for selection in KillSelection.allCases {
                var world = DeploymentSimulation(strategy: strategy, instances: n, killSelection: selection, seed: seed)
                let steps = world.deploy("v2", limit: Self.limit(n))
                #expect(world.violations.isEmpty, "seed \(seed), \(selection): \(world.violations.prefix(5))")
                #expect(steps != nil, "seed \(seed), \(selection): did not complete in \(Self.limit(n)) steps")
                #expect(world.converged(on: "v2"))
            }
        }
    }

    @Test("Crashes and failed health checks only lower health; the planner's own steps still keep its bounds",
          arguments: capacities, sizes)
    func rollingUpgradeWithFailures(capacity: (Double, Double), n: Int) {
        let strategy = UpgradeStrategy(minimumHealthCapacity: capacity.0, maximumOverCapacity: capacity.1)
        guard strategy.hasRoomToReplace(instances: n) else { return }
        var injected = 0
        for seed in UInt64(100)...119 {
            var world = DeploymentSimulation(strategy: strategy, instances: n, seed: seed, failureChance: 20, failureBudget: 3)
            let steps = world.deploy("v2", limit: Self.limit(n, failures: 3))
            injected += world.failuresInjected
            #expect(world.violations.isEmpty, "seed \(seed): \(world.violations.prefix(5))")
            #expect(steps != nil, "seed \(seed): did not complete")
            #expect(world.converged(on: "v2"))
        }
        #expect(injected > 0)
    }

    @Test("The helper names exactly the combinations with no room to replace")
    func impossibleCombinations() {
        var impossible: [String] = []
        for capacity in Self.capacities {
            let strategy = UpgradeStrategy(minimumHealthCapacity: capacity.0, maximumOverCapacity: capacity.1)
            for n in Self.sizes where !strategy.hasRoomToReplace(instances: n) {
                #expect(strategy.maximumRunning(of: n) <= n && strategy.minimumHealthy(of: n) >= n)
                impossible.append("(\(capacity.0), \(capacity.1)) × \(n)")
            }
        }
        #expect(impossible == [
            "(1.0, 0.5) × 1", "(0.5, 0.0) × 1", "(0.5, 0.5) × 1",
            "(0.75, 0.25) × 1", "(0.75, 0.25) × 2", "(0.75, 0.25) × 3",
        ])
    }
}

@Suite("Instance planner under rescaling")
struct InstancePlannerRescaleTests {
    @Test("Rescaling in the middle of an upgrade converges on the new count without the planner breaking its bounds",
          arguments: [(3, 6), (6, 2), (5, 0), (1, 4), (10, 3)])
    func rescaleMidUpgrade(from: Int, to: Int) {
        for capacity in [(1.0, 1.0), (0.5, 0.5), (0.0, 0.0), (0.75, 0.25)] {
            let strategy = UpgradeStrategy(minimumHealthCapacity: capacity.0, maximumOverCapacity: capacity.1)
            guard strategy.hasRoomToReplace(instances: to) else { continue }
            for seed in UInt64(200)...209 {
                var world = DeploymentSimulation(strategy: strategy, instances: from, seed: seed)
                let limit = InstancePlannerSimulationTests.limit(max(from, to)) * 2
                let steps = world.deploy("v2", limit: limit, rescale: (step: 1 + Int(seed % 6), instances: to))
                #expect(world.violations.isEmpty, "\(capacity), seed \(seed): \(world.violations.prefix(5))")
                #expect(steps != nil, "\(capacity), seed \(seed): did not complete")
                #expect(world.converged(on: "v2"))
                #expect(world.instances == to)
            }
        }
    }
}
