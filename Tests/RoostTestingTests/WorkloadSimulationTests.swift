import Foundation
import RoostCore
import RoostTesting
import Testing

/// The DRF paper's example (Ghodsi et al., NSDI 2011, §4): 9 CPUs and 18 GB; A's tasks
/// need ⟨1 CPU, 4 GB⟩, B's ⟨3 CPUs, 1 GB⟩; both always have more work.
let drfPaperTrace = """
    {
      "agents": [{"id": "a1", "resources": "cpus:9;mem:18432"}],
      "frameworks": [
        {"id": "A", "tasks": [{"count": 10, "resources": "cpus:1;mem:4096"}]},
        {"id": "B", "tasks": [{"count": 10, "resources": "cpus:3;mem:1024"}]}
      ],
      "until": 60
    }
    """

func trace(_ text: String) throws -> WorkloadTrace {
    try WorkloadTrace(json: Data(text.utf8))
}

struct WorkloadSimulationTests {
    @Test func drfGivesThePapersAllocation() async throws {
        let report = await WorkloadSimulation.run(try trace(drfPaperTrace), policy: .drf)
        let a = try #require(report.frameworks["A"])
        let b = try #require(report.frameworks["B"])
        // The paper: A runs three tasks ⟨3 CPUs, 12 GB⟩, B two ⟨6 CPUs, 2 GB⟩; both dominant shares 2/3.
        #expect(a.tasksLaunched == 3)
        #expect(b.tasksLaunched == 2)
        #expect(a.allocated == "cpus:3;mem:12288")
        #expect(b.allocated == "cpus:6;mem:2048")
        #expect(abs(a.dominantShare - 2.0 / 3) < 1e-9)
        #expect(abs(b.dominantShare - 2.0 / 3) < 1e-9)
        #expect(a.tasksPending == 7)
        #expect(b.tasksPending == 8)
        #expect(report.preemptions == 0)
        // CPUs 6 + 3 of 9 used from the start; memory 14 of 18 GB.
        #expect(report.utilization["cpus"]?.mean == 1)
        #expect(abs((report.utilization["mem"]?.mean ?? 0) - 14.0 / 18) < 1e-9)
    }

    @Test func fifoServesTheFirstFrameworkUntilItCannotUseTheRest() async throws {
        let report = await WorkloadSimulation.run(try trace(drfPaperTrace), policy: .fifo)
        // A (registered first) takes four ⟨1 CPU, 4 GB⟩ tasks; the 5 CPUs and 2 GB left fit one of B's.
        #expect(report.frameworks["A"]?.tasksLaunched == 4)
        #expect(report.frameworks["A"]?.allocated == "cpus:4;mem:16384")
        #expect(report.frameworks["B"]?.tasksLaunched == 1)
        #expect(report.frameworks["B"]?.allocated == "cpus:3;mem:1024")
        #expect(abs((report.frameworks["A"]?.dominantShare ?? 0) - 16.0 / 18) < 1e-9)
        #expect(abs((report.frameworks["B"]?.dominantShare ?? 0) - 3.0 / 9) < 1e-9)
    }

    @Test func priorityServesTheHigherPriorityFrameworkFirst() async throws {
        var workload = try trace(drfPaperTrace)
        workload.frameworks[1].priority = 1
        let report = await WorkloadSimulation.run(workload, policy: .priority)
        // B takes all 9 CPUs (three tasks); the 15 GB left are no use to A without CPUs.
        #expect(report.frameworks["B"]?.tasksLaunched == 3)
        #expect(report.frameworks["B"]?.dominantShare == 1)
        #expect(report.frameworks["A"]?.tasksLaunched == 0)
        #expect(report.frameworks["A"]?.allocated == "{}")
        #expect(report.frameworks["A"]?.dominantShare == 0)
    }

    @Test func waitsAndUtilizationOfASerialQueue() async throws {
        // One slot, three 10 s tasks: launched at 0, 10 and 20; idle from 30 to 40.
        let report = await WorkloadSimulation.run(try trace("""
            {"agents": [{"id": "solo", "resources": "cpus:1;mem:1024"}],
             "frameworks": [{"id": "A", "tasks": [{"count": 3, "resources": "cpus:1;mem:512", "duration": 10}]}],
             "until": 40}
            """), policy: .drf)
        let a = try #require(report.frameworks["A"])
        #expect(a.tasksLaunched == 3)
        #expect(a.tasksFinished == 3)
        #expect(a.tasksRunning == 0)
        #expect(a.allocated == "{}")
        #expect(a.wait == WorkloadWaitStatistics(waits: [.zero, .seconds(10), .seconds(20)]))
        #expect(a.wait.meanSeconds == 10)
        #expect(a.wait.p99Seconds == 20)
        #expect(report.utilization["cpus"] == WorkloadUtilization(mean: 0.75, peak: 1, total: 1))
        #expect(report.utilization["mem"] == WorkloadUtilization(mean: 0.375, peak: 0.5, total: 1024))
        #expect(report.timeline.map(\.timeSeconds) == [0, 10, 20, 30])
        #expect(report.timeline.map { $0.utilization["cpus"] } == [1, 1, 1, 0])
        #expect(report.timeline.map { $0.dominantShares["A"] } == [1, 1, 1, 0])
    }

    @Test func aLaterSubmissionWaitsForResources() async throws {
        // Two slots held by A until 10; B's task, submitted at 3, runs from 10 to 15.
        let workload = try trace("""
            {"agents": [{"id": "pair", "resources": "cpus:2;mem:1024"}],
             "frameworks": [
               {"id": "A", "tasks": [{"count": 2, "resources": "cpus:1;mem:256", "duration": 10}]},
               {"id": "B", "tasks": [{"count": 1, "resources": "cpus:1;mem:256", "submitAt": 3, "duration": 5}]}],
             "until": 20}
            """)
        for policy in [WorkloadPolicy.drf, .fifo] {
            let report = await WorkloadSimulation.run(workload, policy: policy)
            #expect(report.frameworks["B"]?.wait.meanSeconds == 7, "\(policy)")
            #expect(report.frameworks["B"]?.tasksFinished == 1, "\(policy)")
            #expect(report.wait.launches == 3, "\(policy)")
            #expect(abs(report.wait.meanSeconds - 7.0 / 3) < 1e-9, "\(policy)")
            // cpus: 100 % for 10 s, 50 % for 5 s, idle for 5 s, of 20 s.
            #expect(report.utilization["cpus"]?.mean == 0.625, "\(policy)")
            #expect(report.preemptions == 0, "\(policy)")
        }
    }

    @Test func priorityPreemptsALowerPriorityTask() async throws {
        var workload = try trace("""
            {"agents": [{"id": "pair", "resources": "cpus:2;mem:1024"}],
             "frameworks": [
               {"id": "A", "tasks": [{"count": 2, "resources": "cpus:1;mem:256", "duration": 10}]},
               {"id": "B", "priority": 1, "tasks": [{"count": 1, "resources": "cpus:1;mem:256", "submitAt": 3, "duration": 5}]}],
             "until": 20}
            """)
        let report = await WorkloadSimulation.run(workload, policy: .priority)
        // At 3 one of A's tasks is killed for B, which runs 3–8; A's task runs again from 8 to 18.
        #expect(report.preemptions == 1)
        #expect(report.frameworks["A"]?.preemptions == 1)
        #expect(report.frameworks["B"]?.wait.maxSeconds == 0)
        #expect(report.frameworks["A"]?.tasksLaunched == 3)
        #expect(report.frameworks["A"]?.tasksFinished == 2)
        #expect(report.frameworks["A"]?.wait.maxSeconds == 5)
        #expect(report.frameworks["B"]?.tasksFinished == 1)
        // DRF does not preempt: B waits for A's tasks to end.
        workload.frameworks[1].priority = 0
        let fair = await WorkloadSimulation.run(workload, policy: .drf)
        #expect(fair.preemptions == 0)
        #expect(fair.frameworks["B"]?.wait.meanSeconds == 7)
    }

    @Test func rolesWeightsTiltDRF() async throws {
        // Same tasks, role `heavy` weighted 2: it gets twice the dominant share of `light`.
        let report = await WorkloadSimulation.run(try trace("""
            {"agents": [{"id": "a", "resources": "cpus:6;mem:6144", "count": 2}],
             "frameworks": [
               {"id": "light", "role": "light", "tasks": [{"count": 20, "resources": "cpus:1;mem:1024"}]},
               {"id": "heavy", "role": "heavy", "weight": 2, "tasks": [{"count": 20, "resources": "cpus:1;mem:1024"}]}],
             "until": 10}
            """), policy: .drf)
        #expect(report.frameworks["light"]?.tasksLaunched == 4)
        #expect(report.frameworks["heavy"]?.tasksLaunched == 8)
        #expect(report.utilization["cpus"]?.total == 12)
    }

    @Test func theReportsJSONShapeIsStable() async throws {
        let report = await WorkloadSimulation.run(try trace(drfPaperTrace), policies: [.drf, .fifo])
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let object = try #require(try JSONSerialization.jsonObject(with: encoder.encode(report)) as? [String: Any])
        #expect(Array(object.keys) == ["policies"])
        let policies = try #require(object["policies"] as? [String: Any])
        #expect(Set(policies.keys) == ["drf", "fifo"])
        let drf = try #require(policies["drf"] as? [String: Any])
        #expect(Set(drf.keys) == ["policy", "untilSeconds", "frameworks", "utilization", "wait", "preemptions", "timeline"])
        let a = try #require((drf["frameworks"] as? [String: Any])?["A"] as? [String: Any])
        #expect(a["tasksLaunched"] as? Int == 3)
        #expect(a["tasksFinished"] as? Int == 0)
        #expect(a["allocated"] as? String == "cpus:3;mem:12288")
        #expect(a["dominantShare"] as? Double ?? 0 > 0.666)
        let wait = try #require(a["wait"] as? [String: Any])
        #expect(Set(wait.keys) == ["launches", "meanSeconds", "p99Seconds", "maxSeconds"])
        let cpus = try #require((drf["utilization"] as? [String: Any])?["cpus"] as? [String: Any])
        #expect(Set(cpus.keys) == ["mean", "peak", "total"])
        let point = try #require((drf["timeline"] as? [[String: Any]])?.first)
        #expect(Set(point.keys) == ["timeSeconds", "utilization", "dominantShares"])
        // And it reads back.
        #expect(try JSONDecoder().decode(WorkloadReport.self, from: encoder.encode(report)) == report)
    }

    @Test func waitStatisticsUseTheNearestRank() {
        let waits = (1...200).map { Duration.seconds($0) }
        let statistics = WorkloadWaitStatistics(waits: waits.reversed())
        #expect(statistics.launches == 200)
        #expect(statistics.meanSeconds == 100.5)
        #expect(statistics.p99Seconds == 198)  // ⌈0.99 × 200⌉ = 198th smallest
        #expect(statistics.maxSeconds == 200)
        #expect(WorkloadWaitStatistics(waits: []) == WorkloadWaitStatistics(waits: []))
        #expect(WorkloadWaitStatistics(waits: []).p99Seconds == 0)
    }
}
