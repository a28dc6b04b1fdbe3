import RoostAllocators
import RoostCore
import Testing

/// A framework in a test: launches one task of `task` per offer while it has work,
/// and returns the rest of each offer at once (a zero refuse filter), so the
/// remainder goes to whoever the policy ranks first next: the DRF paper's
/// progressive filling.
struct ToyFramework {
    var id: FrameworkID
    var role: Role = .any
    var task: Resources
    var remaining: Int
    var launched = 0
}

/// Drives an engine with toy frameworks until nobody can launch anything more.
func fillProgressively(_ engine: inout AllocationEngine, _ frameworks: inout [ToyFramework], now: Duration = .zero, maxCycles: Int = 1000) throws -> [FrameworkID] {
    var order: [FrameworkID] = []
    for _ in 0..<maxCycles {
        let cycle = engine.allocate(now: now)
        if cycle.allocations.isEmpty { break }
        for allocation in cycle.allocations {
            let index = frameworks.firstIndex { $0.id == allocation.framework }!
            var left = allocation.resources
            if frameworks[index].remaining > 0, left.contains(frameworks[index].task) {
                frameworks[index].remaining -= 1
                frameworks[index].launched += 1
                left -= frameworks[index].task
                order.append(allocation.framework)
                try engine.recover(left, of: allocation.framework, role: allocation.role, on: allocation.agentID, filter: Filters(refuse: .zero), now: now)
            } else {
                // Nothing fits: decline with a long filter so the others are not starved.
                try engine.recover(left, of: allocation.framework, role: allocation.role, on: allocation.agentID, filter: Filters(refuse: .seconds(3600)), now: now)
            }
        }
    }
    return order
}

struct DRFAllocatorTests {
    /// Ghodsi et al., NSDI 2011, section 4: 9 CPUs and 18 GB; A's tasks need <1 CPU, 4 GB>,
    /// B's <3 CPUs, 1 GB>. DRF gives A three tasks and B two, equalising dominant shares at 2/3.
    @Test func paperWorkedExample() throws {
        var engine = AllocationEngine(policy: DRFAllocator())
        try engine.addAgent(AgentInfo(id: "s1", hostname: "s1", resources: "cpus:9;mem:18432"))
        try engine.addFramework("A", info: FrameworkInfo(name: "A"))
        try engine.addFramework("B", info: FrameworkInfo(name: "B"))
        var frameworks = [
            ToyFramework(id: "A", task: "cpus:1;mem:4096", remaining: 100),
            ToyFramework(id: "B", task: "cpus:3;mem:1024", remaining: 100),
        ]
        let order = try fillProgressively(&engine, &frameworks)
        #expect(frameworks[0].launched == 3)
        #expect(frameworks[1].launched == 2)
        #expect(order == ["A", "B", "A", "B", "A"])
        #expect(engine.allocation(of: "A") == "cpus:3;mem:12288")
        #expect(engine.allocation(of: "B") == "cpus:6;mem:2048")
    }

    /// With B's role weighing 2, B may hold twice A's dominant share.
    @Test func weightedRoles() throws {
        var engine = AllocationEngine(policy: DRFAllocator())
        try engine.addAgent(AgentInfo(id: "s1", hostname: "s1", resources: "cpus:12;mem:12288"))
        try engine.setWeight(2, for: "heavy")
        try engine.addFramework("A", info: FrameworkInfo(name: "A", roles: ["light"]))
        try engine.addFramework("B", info: FrameworkInfo(name: "B", roles: ["heavy"]))
        var frameworks = [
            ToyFramework(id: "A", role: "light", task: "cpus:1;mem:1024", remaining: 100),
            ToyFramework(id: "B", role: "heavy", task: "cpus:1;mem:1024", remaining: 100),
        ]
        _ = try fillProgressively(&engine, &frameworks)
        #expect(frameworks[0].launched == 4)
        #expect(frameworks[1].launched == 8)
    }

    /// Within a role, frameworks share by DRF; across roles, the role's total counts.
    @Test func twoLevelsRolesThenFrameworks() throws {
        var engine = AllocationEngine(policy: DRFAllocator())
        try engine.addAgent(AgentInfo(id: "s1", hostname: "s1", resources: "cpus:12;mem:12288"))
        try engine.addFramework("A1", info: FrameworkInfo(name: "A1", roles: ["a"]))
        try engine.addFramework("A2", info: FrameworkInfo(name: "A2", roles: ["a"]))
        try engine.addFramework("B", info: FrameworkInfo(name: "B", roles: ["b"]))
        var frameworks = [
            ToyFramework(id: "A1", role: "a", task: "cpus:1;mem:1024", remaining: 100),
            ToyFramework(id: "A2", role: "a", task: "cpus:1;mem:1024", remaining: 100),
            ToyFramework(id: "B", role: "b", task: "cpus:1;mem:1024", remaining: 100),
        ]
        _ = try fillProgressively(&engine, &frameworks)
        // Role a and role b each get half; a's half is split between its two frameworks.
        #expect(frameworks.map(\.launched) == [3, 3, 6])
    }

    @Test func excludedResourcesDoNotCount() throws {
        var engine = AllocationEngine(policy: DRFAllocator(configuration: .init(excludedResources: ["gpus"])))
        try engine.addAgent(AgentInfo(id: "s1", hostname: "s1", resources: "cpus:10;mem:10240;gpus:2"))
        try engine.addFramework("A", info: FrameworkInfo(name: "A"))
        try engine.addFramework("B", info: FrameworkInfo(name: "B"))
        var frameworks = [
            // A's tasks use a GPU each; counted, GPUs would be A's dominant resource.
            ToyFramework(id: "A", task: "cpus:1;mem:1024;gpus:1", remaining: 2),
            ToyFramework(id: "B", task: "cpus:1;mem:1024", remaining: 100),
        ]
        let order = try fillProgressively(&engine, &frameworks)
        #expect(Array(order.prefix(4)) == ["A", "B", "A", "B"])
    }

    @Test func tiesGoToEarlierRegistration() throws {
        var engine = AllocationEngine(policy: DRFAllocator())
        try engine.addFramework("late", info: FrameworkInfo(name: "late"))
        try engine.addFramework("early", info: FrameworkInfo(name: "early"))
        try engine.addAgent(AgentInfo(id: "s1", hostname: "s1", resources: "cpus:1;mem:1024"))
        let cycle = engine.allocate(now: .zero)
        #expect(cycle.allocations.map(\.framework) == ["late"])
    }
}
