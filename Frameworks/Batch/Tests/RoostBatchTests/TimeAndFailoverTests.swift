import Foundation
import RoostBatch
import RoostCluster
import RoostCore
import RoostMaster
import RoostTesting
import Testing

/// Back-off, deadlines and TTL against a manual clock, and scheduler failover, on an
/// embedded cluster with real processes.
@Suite(.tags(.cluster), .timeLimit(.minutes(1)))
struct TimeAndFailoverTests {
    @Test func retriesWaitForAnExponentialBackoffOnTheInjectedClock() async throws {
        let (clock, time) = manualTime()
        try await TestCluster().run { running in
            let scheduler = try await running.batchScheduler(time: time)
            // Index 0 fails on its first two attempts, then succeeds.
            try await scheduler.submit(BatchJob(
                name: "flaky", command: .shell("[ \"$ROOST_JOB_ATTEMPT\" -ge 3 ] || exit 1"), resources: "cpus:0.1;mem:16",
                completionMode: .indexed, backoffLimit: 6))
            let status = try await running.withScheduler(scheduler) { recorder in
                try await waitFor("first failure", job: "flaky", on: scheduler) { $0.failed == 1 }
                try await waitUntil("the retry armed 10 s after the first failure", timeout: clusterWait) { clock.nextDeadline == .init(offset: .seconds(10)) }
                #expect(await scheduler.status(of: "flaky")?.tasks.count == 1, "no retry before the back-off ends")
                clock.advance(by: .seconds(10))
                try await waitFor("second failure", job: "flaky", on: scheduler) { $0.failed == 2 }
                try await waitUntil("the retry armed 20 s after the second failure", timeout: clusterWait) { clock.nextDeadline == .init(offset: .seconds(30)) }
                clock.advance(by: .seconds(20))
                let status = try await waitUntilFinished("flaky", on: scheduler)
                let calls = await recorder.driver?.recorded ?? []
                #expect(calls.contains { if case .suppress = $0 { true } else { false } }, "suppressed while backing off")
                #expect(calls.contains { if case .revive = $0 { true } else { false } }, "revived when the back-off ended")
                return status
            }
            #expect(status.condition.kind == .succeeded)
            #expect(status.failed == 2)
            #expect(status.tasks.map(\.attempt) == [1, 2, 3])
            #expect(status.tasks.map(\.launchedAt.secondsSinceEpoch) == [0, 10, 30].map { 1_800_000_000 + $0 })
        }
    }

    @Test func activeDeadlineWinsOverRetriesLeft() async throws {
        let (clock, time) = manualTime()
        try await TestCluster().run { running in
            let scheduler = try await running.batchScheduler(time: time)
            try await scheduler.submit(BatchJob(
                name: "late", command: .shell("exit 1"), resources: "cpus:0.1;mem:16", backoffLimit: 6, activeDeadline: .seconds(5)))
            let status = try await running.withScheduler(scheduler) { _ in
                try await waitFor("first failure", job: "late", on: scheduler) { $0.failed == 1 }
                // The deadline (5 s) comes before the retry (10 s).
                try await waitUntil("the deadline armed", timeout: clusterWait) { clock.nextDeadline == .init(offset: .seconds(5)) }
                clock.advance(by: .seconds(5))
                return try await waitUntilFinished("late", on: scheduler)
            }
            #expect(status.condition.kind == .failed)
            #expect(status.failureReason == .deadlineExceeded)
            #expect(status.failed == 1, "retries were left: one failure of six allowed")
        }
    }

    @Test func activeDeadlineKillsRunningTasksAndTTLDeletesTheRecord() async throws {
        let (clock, time) = manualTime()
        try await TestCluster().run { running in
            let scheduler = try await running.batchScheduler(time: time)
            try await scheduler.submit(BatchJob(
                name: "slow", command: .shell("exec sleep 30"), resources: "cpus:0.1;mem:16", completions: 2, parallelism: 2,
                activeDeadline: .seconds(60), ttlAfterFinished: .seconds(100), killGracePeriod: .milliseconds(500)))
            try await running.withScheduler(scheduler) { _ in
                try await waitFor("two tasks running", job: "slow", on: scheduler) { $0.tasks.filter { $0.state == .running }.count == 2 }
                try await waitUntil("the deadline armed", timeout: clusterWait) { clock.nextDeadline == .init(offset: .seconds(60)) }
                clock.advance(by: .seconds(60))
                let failed = try await waitUntilFinished("slow", on: scheduler)
                #expect(failed.failureReason == .deadlineExceeded)
                try await waitFor("tasks killed", job: "slow", on: scheduler) { $0.active == 0 }
                let killed = try #require(await scheduler.status(of: "slow"))
                #expect(killed.tasks.allSatisfy { $0.state == .killed && $0.outcome == .stopped })
                #expect(killed.failed == 0)
                try await waitUntil("the TTL armed", timeout: clusterWait) { clock.nextDeadline == .init(offset: .seconds(160)) }
                clock.advance(by: .seconds(100))
                try await waitUntil("the record deleted after its TTL", timeout: clusterWait) { await scheduler.status(of: "slow") == nil }
            }
        }
    }

    @Test func aNewSchedulerTakesOverWithoutLaunchingAnyTaskTwice() async throws {
        let folder = try temporaryFolder()
        let store = try FileStateStore(configuration: .init(directory: "\(folder)/state", fsync: false))
        try await TestCluster().run { running in
            let first = try await running.batchScheduler(store: store)
            try await first.submit(BatchJob(
                name: "handover",
                command: .shell("echo $ROOST_JOB_INDEX >> \(folder)/starts; while [ ! -f \(folder)/go ]; do sleep 0.05; done"),
                resources: "cpus:0.1;mem:16", completions: 6, parallelism: 3, completionMode: .indexed))
            // The first scheduler launches three tasks, then goes away without tearing the framework down.
            try await running.withScheduler(first, failover: true) { _ in
                try await waitFor("three tasks running", job: "handover", on: first) { $0.tasks.filter { $0.state == .running }.count == 3 }
            }
            let second = try await running.batchScheduler(store: store)
            let recovered = try #require(await second.status(of: "handover"))
            #expect(recovered.active == 3, "the new scheduler knows the running tasks from the store")
            #expect(await second.frameworkInfo.id == first.frameworkInfo.id)
            let status = try await running.withScheduler(second) { recorder in
                try await waitUntil("the master's reconciliation answers: three tasks running", timeout: clusterWait) {
                    let answers = await recorder.updates.filter { $0.reason == .reconciliation }
                    return Set(answers.filter { $0.state == .running }.map(\.taskID)).count == 3
                }
                #expect(FileManager.default.createFile(atPath: "\(folder)/go", contents: nil))
                return try await waitUntilFinished("handover", on: second)
            }
            #expect(status.condition.kind == .succeeded)
            #expect(status.tasks.count == 6, "exactly one task per index: \(status.tasks.map(\.taskID))")
            #expect(status.completedIndexes == Array(0..<6))
        }
        let starts = try String(contentsOfFile: "\(folder)/starts", encoding: .utf8).split(separator: "\n").sorted()
        #expect(starts == ["0", "1", "2", "3", "4", "5"], "each index started once across both schedulers")
    }
}
