import {{module}}
import RoostBatch
import RoostCore
import RoostTesting
import Testing

/// {{name}}'s job on a simulated cluster: the real master, virtual time, simulated agents.
@Suite struct {{name}}WorkTests {
    /// A cluster whose tasks finish after 2 s unless `failing` says otherwise (by shard),
    /// and a scheduler on its clock.
    private func start(failing: @escaping @Sendable (String?) -> Bool = { _ in false }) async throws -> (SimulatedCluster, BatchScheduler) {
        let cluster = SimulatedCluster(configuration: .init(
            behavior: { _, task in failing(task.environment["ROOST_JOB_INDEX"]) ? .fail(after: .seconds(1), exitCode: 1) : nil },
            defaultBehavior: .finish(after: .seconds(2))
        ))
        await cluster.addAgents(2, resources: "cpus:1;mem:512")
        let time = FrameworkTime(cluster.clock, origin: cluster.clock.now, at: Timestamp(secondsSinceEpoch: 1_800_000_000))
        return (cluster, try await {{name}}.scheduler(time: time))
    }

    @Test func everyShardCompletesOnce() async throws {
        let (cluster, scheduler) = try await start()
        let work = {{name}}Work(name: "six", command: "true", shards: 6, parallelism: 3)
        try await scheduler.submit(try work.batchJob())
        let driver = try await cluster.connect(scheduler, as: await scheduler.frameworkInfo)
        let framework = try #require(driver.frameworkID)

        await cluster.advance(by: .seconds(1))
        #expect(await cluster.tasks(of: framework, in: .running).count == 3, "parallelism 3")
        _ = await cluster.runUntilIdle()
        let status = try #require(await scheduler.status(of: "six"))
        #expect(status.condition.kind == .succeeded)
        #expect(status.completedIndexes == [0, 1, 2, 3, 4, 5])
        #expect(await cluster.counters(of: framework).tasksLaunched == 6)
    }

    @Test func aShardThatAlwaysFailsFailsTheJob() async throws {
        let (cluster, scheduler) = try await start(failing: { $0 == "1" })
        let work = {{name}}Work(name: "broken", command: "true", shards: 2, parallelism: 2, retries: 0)
        try await scheduler.submit(try work.batchJob())
        _ = try await cluster.connect(scheduler, as: await scheduler.frameworkInfo)

        _ = await cluster.runUntilIdle()
        let status = try #require(await scheduler.status(of: "broken"))
        #expect(status.condition.kind == .failed)
        #expect(status.failureReason == .backoffLimitExceeded)
        #expect(status.failed == 1)
    }

    @Test func malformedWorkIsRefused() {
        #expect(throws: (any Error).self) { try {{name}}Work(name: "Not A Job Name", command: "true", shards: 1).batchJob() }
        #expect(throws: (any Error).self) { try {{name}}Work(name: "ok", command: "true", shards: -1).batchJob() }
    }
}
