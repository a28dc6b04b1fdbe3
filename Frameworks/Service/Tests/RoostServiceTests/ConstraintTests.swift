import RoostCore
import RoostService
import RoostTesting
import Testing

/// Each of Marathon's constraint operators, through the scheduler on a simulated cluster:
/// where the instances land, and what the status says about the ones that cannot.
@Suite("Service placement constraints (simulated)")
struct ConstraintTests {
    /// Places `instances` instances under `constraint` on agents with `racks` (nil: no `rack`
    /// attribute), runs until nothing more gets placed, and returns how many instances landed
    /// on each rack value ("none" for agents without it) and the status.
    func place(_ constraint: String, instances: Int, racks: [String?]) async throws -> ([String: Int], ServiceStatus) {
        let sim = Simulation()
        var hosts: [AgentID: String] = [:]
        for (index, rack) in racks.enumerated() {
            let id = await sim.cluster.addAgent(
                hostname: "host-\(index)", resources: "cpus:2;mem:4096", attributes: rack.map { ["rack": $0] } ?? [:])
            hosts[id] = rack ?? "none"
        }
        let scheduler = try await sim.scheduler()
        try await sim.connect(scheduler)
        let spec = try ServiceSpec.decode("""
            {id: web, command: serve, resources: "cpus:0.1;mem:32", instances: \(instances), constraints: [\(constraint)]}
            """, format: .yaml)
        try await scheduler.deploy(spec)
        // Long enough for every agent to have been offered several times.
        await sim.pass(.seconds(30), with: scheduler)
        let status = try #require(await scheduler.status(of: "web"))
        var perRack: [String: Int] = [:]
        for instance in status.instanceList { perRack[hosts[instance.agentID]!, default: 0] += 1 }
        return (perRack, status)
    }

    @Test("UNIQUE: at most one instance per value")
    func unique() async throws {
        let (perRack, status) = try await place("[rack, UNIQUE]", instances: 3, racks: ["r1", "r1", "r2"])
        #expect(perRack == ["r1": 1, "r2": 1])
        #expect(status.placementProblems.contains { $0.contains("UNIQUE") })
    }

    @Test("CLUSTER: only agents with the value")
    func cluster() async throws {
        let (perRack, _) = try await place("[rack, CLUSTER, r2]", instances: 3, racks: ["r1", "r2", nil])
        #expect(perRack == ["r2": 3])
    }

    @Test("GROUP_BY: spread evenly over the values")
    func groupBy() async throws {
        let (perRack, _) = try await place("{attribute: rack, operator: GROUP_BY, value: '2'}", instances: 4, racks: ["r1", "r1", "r1", "r2"])
        #expect(perRack == ["r1": 2, "r2": 2])
    }

    @Test("LIKE: values matching the expression; an agent without the attribute does not pass")
    func like() async throws {
        let (perRack, _) = try await place("[rack, LIKE, 'r[12]']", instances: 4, racks: ["r1", "r3", nil])
        #expect(perRack == ["r1": 4])
    }

    @Test("UNLIKE: values not matching the expression, and agents without the attribute")
    func unlike() async throws {
        let (perRack, _) = try await place("[rack, UNLIKE, 'r1']", instances: 4, racks: ["r1", "r2", nil])
        #expect(perRack["r1"] == nil)
        #expect(perRack.values.reduce(0, +) == 4)
    }

    @Test("MAX_PER: at most that many per value")
    func maxPer() async throws {
        let (perRack, status) = try await place("[rack, MAX_PER, '2']", instances: 5, racks: ["r1", "r1", "r2"])
        #expect(perRack == ["r1": 2, "r2": 2])
        #expect(status.counts.running == 4)
        #expect(status.placementProblems.contains { $0.contains("MAX_PER") })
    }

    @Test("hostname is the agent's host name")
    func hostname() async throws {
        let (perRack, status) = try await place("[hostname, UNIQUE]", instances: 4, racks: ["r1", "r1", "r2"])
        #expect(perRack.values.reduce(0, +) == 3)
        #expect(Set(status.instanceList.map(\.hostname)).count == 3)
    }
}
