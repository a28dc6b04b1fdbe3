import ArgumentParser
import Foundation
import RoostAllocators
import RoostCore

/// `roost-bench allocator`: allocation-cycle times in the shapes of Mesos' allocator benchmarks.
struct AllocatorBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allocator",
        abstract: "Time DRF allocation cycles at 1k×100, 10k×1k and 20k×2k agents×frameworks.",
        discussion: """
            Each agent has cpus:16;mem:65536. Shapes:
              full     every agent is free and every framework wants resources: each framework \
            launches one small task (cpus:0.5;mem:1024) per offer and returns the rest with no filter, \
            so the next cycle again offers every agent.
              decline  every framework declines everything it is offered with a one-hour filter \
            (Mesos' DeclineOffers shape); round k sees agents carrying k-1 filters.
            Also prints the incremental case: one task finishes on a full cluster and the next cycle \
            examines only that agent.
            """
    )

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    @Option(help: "Timed cycles per case and shape.")
    var rounds = 20

    @Option(help: "Cases as AGENTSxFRAMEWORKS, comma-separated.")
    var cases = "1000x100,10000x1000,20000x2000"

    func run() throws {
        var results: [CaseResult] = []
        var incremental: [IncrementalResult] = []
        for spec in cases.split(separator: ",") {
            let parts = spec.split(separator: "x").compactMap { Int($0) }
            guard parts.count == 2, parts[0] > 0, parts[1] > 0 else {
                throw ValidationError("--cases: '\(spec)' is not AGENTSxFRAMEWORKS, e.g. 10000x1000")
            }
            let (agents, frameworks) = (parts[0], parts[1])
            results.append(try fullShape(agents: agents, frameworks: frameworks))
            incremental.append(try incrementalShape(agents: agents, frameworks: frameworks))
            results.append(try declineShape(agents: agents, frameworks: frameworks))
        }
        if json {
            let object: [String: Any] = [
                "cases": results.map { ["agents": $0.agents, "frameworks": $0.frameworks, "shape": $0.shape, "medianMs": $0.median, "p99Ms": $0.p99] },
                "incremental": incremental.map { ["agents": $0.agents, "frameworks": $0.frameworks, "examinedAgents": $0.examined, "medianMs": $0.median] },
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("agents  frameworks  shape     median ms   p99 ms   Mesos (1.7/1.8, DRF)")
            for result in results {
                let anchor = mesosFigure(result)
                print(pad(result.agents, 6), pad(result.frameworks, 11), result.shape.padding(toLength: 8, withPad: " ", startingAt: 0),
                      format(result.median, 11), format(result.p99, 8), "  \(anchor)")
            }
            print("")
            print("after one task finishes (incremental):")
            for result in incremental {
                print(pad(result.agents, 6), pad(result.frameworks, 11), "examined \(result.examined) agent(s), median \(format(result.median * 1000, 0)) µs")
            }
        }
    }

    // MARK: Shapes

    private func fullShape(agents: Int, frameworks: Int) throws -> CaseResult {
        var cluster = try Cluster(agents: agents, frameworks: frameworks)
        let task: Resources = "cpus:0.5;mem:1024"
        var times: [Double] = []
        for _ in 0..<rounds {
            let (cycle, ms) = cluster.timedCycle()
            times.append(ms)
            for allocation in cycle.allocations {
                try cluster.engine.recover(allocation.resources - task, of: allocation.framework, role: allocation.role, on: allocation.agentID, filter: Filters(refuse: .zero), now: cluster.now)
            }
        }
        return CaseResult(agents: agents, frameworks: frameworks, shape: "full", times: times)
    }

    private func declineShape(agents: Int, frameworks: Int) throws -> CaseResult {
        var cluster = try Cluster(agents: agents, frameworks: frameworks)
        var times: [Double] = []
        for _ in 0..<rounds {
            let (cycle, ms) = cluster.timedCycle()
            times.append(ms)
            for allocation in cycle.allocations {
                try cluster.engine.recover(allocation.resources, of: allocation.framework, role: allocation.role, on: allocation.agentID, filter: Filters(refuse: .seconds(3600)), now: cluster.now)
            }
        }
        return CaseResult(agents: agents, frameworks: frameworks, shape: "decline", times: times)
    }

    /// Fills every agent with tasks, then times the cycle after one task finishes.
    private func incrementalShape(agents: Int, frameworks: Int) throws -> IncrementalResult {
        var cluster = try Cluster(agents: agents, frameworks: frameworks)
        var held: [Allocation] = []
        var cycle = cluster.engine.allocate(now: cluster.now)
        while !cycle.allocations.isEmpty {
            held += cycle.allocations
            cycle = cluster.engine.allocate(now: cluster.now)
        }
        var times: [Double] = []
        var examined = 0
        for round in 0..<rounds {
            let victim = held[(round * 7919) % held.count]
            let part: Resources = "cpus:1;mem:1024"
            try cluster.engine.recover(part, of: victim.framework, role: victim.role, on: victim.agentID, now: cluster.now)
            let (cycle, ms) = cluster.timedCycle()
            times.append(ms)
            examined = cycle.examinedAgents
            // Hand the freed part back so the next round starts from a full cluster again.
            for allocation in cycle.allocations {
                try cluster.engine.recover(allocation.resources, of: allocation.framework, role: allocation.role, on: allocation.agentID, now: cluster.now)
            }
            _ = cluster.engine.allocate(now: cluster.now)
        }
        times.sort()
        return IncrementalResult(agents: agents, frameworks: frameworks, examined: examined, median: times[times.count / 2])
    }

    private func mesosFigure(_ result: CaseResult) -> String {
        switch (result.agents, result.frameworks, result.shape) {
        case (10000, 1000, "full"): "~1,100-1,400 ms per cycle"
        case (20000, 2000, "full"): "~3,800 ms per cycle"
        default: ""
        }
    }
}

/// A cluster of identical agents and frameworks on an engine with the DRF policy.
private struct Cluster {
    var engine: AllocationEngine
    let now: Duration = .seconds(1)

    init(agents: Int, frameworks: Int) throws {
        engine = AllocationEngine(policy: DRFAllocator())
        for index in 0..<frameworks {
            try engine.addFramework(FrameworkID("framework-\(index)"), info: FrameworkInfo(name: "framework-\(index)"))
        }
        let resources: Resources = "cpus:16;mem:65536"
        for index in 0..<agents {
            try engine.addAgent(AgentInfo(id: AgentID("agent-\(index)"), hostname: "host-\(index)", resources: resources))
        }
    }

    mutating func timedCycle() -> (AllocationCycle, Double) {
        let clock = ContinuousClock()
        let start = clock.now
        let cycle = engine.allocate(now: now)
        let elapsed = start.duration(to: clock.now)
        return (cycle, Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
    }
}

private struct CaseResult {
    var agents: Int
    var frameworks: Int
    var shape: String
    var median: Double
    var p99: Double

    init(agents: Int, frameworks: Int, shape: String, times: [Double]) {
        self.agents = agents
        self.frameworks = frameworks
        self.shape = shape
        let sorted = times.sorted()
        median = sorted[sorted.count / 2]
        p99 = sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.99).rounded(.up)) - 1)]
    }
}

private struct IncrementalResult {
    var agents: Int
    var frameworks: Int
    var examined: Int
    var median: Double
}

private func pad(_ value: Int, _ width: Int) -> String {
    let text = String(value)
    return String(repeating: " ", count: max(0, width - text.count)) + text
}

private func format(_ value: Double, _ width: Int) -> String {
    let text = String(format: "%.2f", value)
    return String(repeating: " ", count: max(0, width - text.count)) + text
}
