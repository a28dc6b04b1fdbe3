import {{module}}
import RoostCore
import RoostService
import RoostTesting
import Testing

/// {{name}}'s service on a simulated cluster: the real master, virtual time, simulated agents.
@Suite struct {{name}}ServiceTests {
    /// A cluster whose tasks run until killed and report healthy 2 s after they start, and a
    /// scheduler on its clock, connected.
    private func start() async throws -> (SimulatedCluster, ServiceScheduler, FrameworkID) {
        let cluster = SimulatedCluster(configuration: .init(
            defaultBehavior: .script([TaskStep(after: .seconds(2), state: .running, healthy: true)])
        ))
        await cluster.addAgents(2, resources: "cpus:1;mem:512")
        let time = FrameworkTime(cluster.clock, origin: cluster.clock.now, at: Timestamp(secondsSinceEpoch: 1_800_000_000))
        let scheduler = try await {{name}}.scheduler(time: time)
        let driver = try await cluster.connect(scheduler, as: await scheduler.frameworkInfo)
        return (cluster, scheduler, try #require(driver.frameworkID))
    }

    /// Moves virtual time on a second at a time (the scheduler's timers act after each)
    /// until `condition` holds, for at most `limit` seconds.
    private func run(_ cluster: SimulatedCluster, _ scheduler: ServiceScheduler, limit: Int = 120,
                     until condition: (ServiceStatus) -> Bool) async -> Bool {
        for _ in 0..<limit {
            if let status = await scheduler.status(of: "web"), condition(status) { return true }
            await cluster.advance(by: .seconds(1))
            await scheduler.runDue()
        }
        return false
    }

    @Test func theInstancesRunAndOneThatCrashesIsReplaced() async throws {
        let (cluster, scheduler, framework) = try await start()
        try await scheduler.deploy(try {{name}}Service(id: "web", command: "serve").spec())
        #expect(await run(cluster, scheduler) { $0.isStable })
        let first = try #require(await scheduler.status(of: "web")).instanceList[0].taskID

        await cluster.killTask(first, of: framework)   // as if the process crashed
        #expect(await run(cluster, scheduler) { $0.isStable && !$0.instanceList.contains { $0.taskID == first } })
        #expect(await cluster.tasks(of: framework, in: .running).count == 3)
    }

    @Test func aNewReleaseRollsOutWithoutDroppingBelowTheFloor() async throws {
        let (cluster, scheduler, _) = try await start()
        let service = {{name}}Service(id: "web", command: "serve")
        try await scheduler.deploy(try service.spec(release: "1"))
        #expect(await run(cluster, scheduler) { $0.isStable })

        let release2 = try service.spec(release: "2")
        try await scheduler.deploy(release2)
        var lowest = 3
        let done = await run(cluster, scheduler) { status in
            lowest = min(lowest, status.counts.healthy)
            return status.isStable && status.version == release2.version
        }
        #expect(done)
        #expect(lowest >= 2, "minimumHealthCapacity 0.6 of 3 keeps 2 healthy")
    }

    @Test func malformedServicesAreRefused() {
        #expect(throws: (any Error).self) { try {{name}}Service(id: "Not An ID", command: "true").spec() }
        #expect(throws: (any Error).self) { try {{name}}Service(id: "ok", command: "true", instances: -1).spec() }
    }
}
