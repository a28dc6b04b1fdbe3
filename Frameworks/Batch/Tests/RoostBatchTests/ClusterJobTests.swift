import Foundation
import RoostBatch
import RoostCluster
import RoostCore
import RoostMaster
import RoostTesting
import Testing

/// Jobs on an embedded cluster with real processes: completions, parallelism, indexes,
/// failure rules, suspension, constraints.
@Suite(.tags(.cluster), .timeLimit(.minutes(1)))
struct ClusterJobTests {
    @Test func completionsRunWithAtMostParallelismTasksAtOnce() async throws {
        try await TestCluster().run { running in
            let scheduler = try await running.batchScheduler()
            try await scheduler.submit(BatchJob(
                name: "six", command: .shell("echo \"done $ROOST_TASK_ID\"; sleep 0.3"), resources: "cpus:0.1;mem:16",
                completions: 6, parallelism: 2))
            let (status, maxLive) = try await running.withScheduler(scheduler) { recorder in
                (try await waitUntilFinished("six", on: scheduler), await recorder.maxLive)
            }
            #expect(status.condition.kind == .succeeded)
            #expect((status.succeeded, status.failed, status.active) == (6, 0, 0))
            #expect(maxLive == 2, "never more than parallelism 2 at once, and enough room to reach it")
            #expect(status.tasks.count == 6)
            #expect(status.startTime != nil && status.completionTime != nil)
            #expect(status.conditions.map(\.kind) == [.pending, .running, .succeeded])
            // The recorded sandbox holds the task's real output.
            for task in status.tasks {
                #expect(task.outcome == .succeeded && task.exitCode == 0)
                let stdout = try String(contentsOfFile: "\(task.sandbox)/stdout", encoding: .utf8)
                #expect(stdout.contains("done \(task.taskID)"), "sandbox \(task.sandbox)")
            }
        }
    }

    @Test func packsAnOfferAndSuppressesWhenNothingIsLeft() async throws {
        try await TestCluster(agents: 1).run { running in
            let scheduler = try await running.batchScheduler()
            try await scheduler.submit(BatchJob(
                name: "pack", command: .shell("sleep 0.2"), resources: "cpus:0.25;mem:16", completions: 4, parallelism: 4))
            let calls = try await running.withScheduler(scheduler) { recorder in
                try await waitUntilFinished("pack", on: scheduler)
                return await recorder.driver?.launchesPerAccept ?? []
            }
            #expect(calls.first?.count == 4, "all four tasks fit the one agent's first offer: \(calls.map(\.count))")
            #expect(calls.flatMap { $0 }.count == 4, "nothing launched twice")
        }
    }

    @Test func indexedJobRunsEveryIndexOnce() async throws {
        let folder = try temporaryFolder()
        try await TestCluster().run { running in
            let scheduler = try await running.batchScheduler()
            try await scheduler.submit(BatchJob(
                name: "indexed", command: .shell("echo $ROOST_JOB_INDEX >> \(folder)/indexes"), resources: "cpus:0.1;mem:16",
                completions: 5, parallelism: 3, completionMode: .indexed))
            let status = try await running.withScheduler(scheduler) { _ in try await waitUntilFinished("indexed", on: scheduler) }
            #expect(status.condition.kind == .succeeded)
            #expect(status.completedIndexes == [0, 1, 2, 3, 4])
            #expect(Set(status.tasks.compactMap(\.index)) == Set(0..<5))
        }
        let lines = try String(contentsOfFile: "\(folder)/indexes", encoding: .utf8).split(separator: "\n").sorted()
        #expect(lines == ["0", "1", "2", "3", "4"])
    }

    @Test func failureRulesIgnoreCountOrFailTheJob() async throws {
        try await TestCluster().run { running in
            let scheduler = try await running.batchScheduler()
            // Exit 3 on the first attempt is ignored: with backoffLimit 0 a counted failure would fail the job.
            try await scheduler.submit(BatchJob(
                name: "ignored", command: .shell("[ \"$ROOST_JOB_ATTEMPT\" -gt 1 ] || exit 3"), resources: "cpus:0.1;mem:16",
                completions: 2, parallelism: 2, completionMode: .indexed, backoffLimit: 0,
                failureRules: [FailureRule(action: .ignore, values: [3])]))
            // Exit 42 fails the job at once, whatever retries are left.
            try await scheduler.submit(BatchJob(
                name: "fatal", command: .shell("exit 42"), resources: "cpus:0.1;mem:16", backoffLimit: 6,
                failureRules: [FailureRule(action: .failJob, values: [42])]))
            // Exit 5 matches no rule: counted, and the second failure exceeds backoffLimit 1.
            try await scheduler.submit(BatchJob(
                name: "counted", command: .shell("exit 5"), resources: "cpus:0.1;mem:16", backoffLimit: 1,
                backoff: .zero, maxBackoff: .zero, failureRules: [FailureRule(action: .failJob, values: [42])]))
            let (ignored, fatal, counted) = try await running.withScheduler(scheduler) { _ in
                (try await waitUntilFinished("ignored", on: scheduler),
                 try await waitUntilFinished("fatal", on: scheduler),
                 try await waitUntilFinished("counted", on: scheduler))
            }
            #expect(ignored.condition.kind == .succeeded)
            #expect((ignored.ignored, ignored.failed, ignored.succeeded) == (2, 0, 2))
            #expect(ignored.tasks.filter { $0.outcome == .ignored }.map(\.exitCode) == [3, 3])
            #expect(fatal.condition.kind == .failed && fatal.failureReason == .failedByRule)
            #expect((fatal.failed, fatal.tasks.count) == (1, 1))
            #expect(fatal.condition.message.contains("exited with code 42"))
            #expect(counted.condition.kind == .failed && counted.failureReason == .backoffLimitExceeded)
            #expect(counted.failed == 2)
            #expect(counted.tasks.map(\.exitCode) == [5, 5])
        }
    }

    @Test func suspendStopsTasksUncountedAndResumeFinishesTheJob() async throws {
        let folder = try temporaryFolder()
        try await TestCluster().run { running in
            let scheduler = try await running.batchScheduler()
            try await scheduler.submit(BatchJob(
                name: "pausable", command: .shell("[ -f \(folder)/go ] && exit 0; exec sleep 30"), resources: "cpus:0.1;mem:16",
                completions: 2, parallelism: 2, killGracePeriod: .milliseconds(500)))
            let status = try await running.withScheduler(scheduler) { _ in
                try await waitFor("two tasks running", job: "pausable", on: scheduler) { $0.tasks.filter { $0.state == .running }.count == 2 }
                try await scheduler.suspend("pausable")
                try await waitFor("both tasks stopped", job: "pausable", on: scheduler) { $0.active == 0 }
                let suspended = try #require(await scheduler.status(of: "pausable"))
                #expect(suspended.condition.kind == .suspended)
                #expect(suspended.failed == 0, "tasks stopped by a suspension are not failures")
                #expect(suspended.tasks.allSatisfy { $0.outcome == .stopped && $0.state == .killed })
                #expect(FileManager.default.createFile(atPath: "\(folder)/go", contents: nil))
                try await scheduler.resume("pausable")
                return try await waitUntilFinished("pausable", on: scheduler)
            }
            #expect(status.condition.kind == .succeeded)
            #expect(status.conditions.map(\.kind) == [.pending, .running, .suspended, .pending, .running, .succeeded])
            #expect((status.succeeded, status.failed, status.tasks.count) == (2, 0, 4))
        }
    }

    @Test func constraintsPlaceTasksByAgentAttributes() async throws {
        // Agent 0: rack r1; agent 1: rack r2; agent 2: no rack. Each has its own host attribute.
        let cluster = TestCluster(agents: 3, agentResources: "cpus:1;mem:512") { index in
            var attributes = ["host": "node-\(index)"]
            if index < 2 { attributes["rack"] = "r\(index + 1)" }
            return attributes
        }
        try await cluster.run { running in
            let scheduler = try await running.batchScheduler()
            let sleeper = Command.shell("sleep 0.5")
            try await scheduler.submit(BatchJob(name: "on-r1", command: sleeper, resources: "cpus:0.1;mem:16", completions: 3, parallelism: 3,
                                                constraints: [PlacementConstraint(attribute: "rack", operator: .cluster, value: "r1")]))
            try await scheduler.submit(BatchJob(name: "not-r1", command: sleeper, resources: "cpus:0.1;mem:16", completions: 4, parallelism: 4,
                                                constraints: [PlacementConstraint(attribute: "rack", operator: .unlike, value: "r1")]))
            try await scheduler.submit(BatchJob(name: "racked", command: sleeper, resources: "cpus:0.1;mem:16", completions: 4, parallelism: 4,
                                                constraints: [PlacementConstraint(attribute: "rack", operator: .like, value: "r[0-9]")]))
            try await scheduler.submit(BatchJob(name: "spread", command: .shell("sleep 1"), resources: "cpus:0.1;mem:16", completions: 3, parallelism: 3,
                                                constraints: [PlacementConstraint(attribute: "host", operator: .unique)]))
            try await scheduler.submit(BatchJob(name: "two-per-rack", command: .shell("sleep 1"), resources: "cpus:0.1;mem:16", completions: 5, parallelism: 5,
                                                constraints: [PlacementConstraint(attribute: "rack", operator: .maxPer, value: "2")]))
            let statuses = try await running.withScheduler(scheduler) { _ in
                for name in ["on-r1", "not-r1", "racked", "spread", "two-per-rack"] { try await waitUntilFinished(name, on: scheduler) }
                return await scheduler.statuses
            }
            let index = await running.agentIndexes()
            func agents(_ job: String) -> [Int] {
                statuses.first { $0.name == job }!.tasks.compactMap { index[$0.agentID] }
            }
            #expect(statuses.allSatisfy { $0.condition.kind == .succeeded })
            #expect(Set(agents("on-r1")) == [0])
            #expect(Set(agents("not-r1")).isSubset(of: [1, 2]), "an agent without the attribute passes 'unlike'")
            #expect(Set(agents("racked")).isSubset(of: [0, 1]), "an agent without the attribute fails 'like'")
            let spread = statuses.first { $0.name == "spread" }!.tasks
            #expect(spread.allSatisfy { $0.placement["host"] != nil })
            for a in spread {
                for b in spread where a.taskID < b.taskID && a.placement == b.placement {
                    let apart = a.finishedAt! <= b.launchedAt || b.finishedAt! <= a.launchedAt
                    #expect(apart, "\(a.taskID) and \(b.taskID) ran at the same time on \(a.placement)")
                }
            }
            // At most two tasks on a rack at any moment: count those running when each one started.
            let twoPerRack = statuses.first { $0.name == "two-per-rack" }!.tasks
            #expect(Set(agents("two-per-rack")).isSubset(of: [0, 1]))
            for task in twoPerRack {
                let alongside = twoPerRack.filter {
                    $0.placement["rack"] == task.placement["rack"] && $0.launchedAt <= task.launchedAt && task.launchedAt < $0.finishedAt!
                }
                #expect(alongside.count <= 2, "\(alongside.map(\.taskID)) ran at once on rack \(task.placement["rack"] ?? "?")")
            }
        }
    }
}
