import {{module}}
import RoostCore
import RoostTesting
import Testing

/// {{name}}Scheduler on a simulated cluster: the real master, virtual time, simulated agents.
@Suite struct {{name}}SchedulerTests {
    /// A cluster of two agents whose tasks run until killed, and the service connected to it.
    private func start(instances: Int) async throws -> (SimulatedCluster, {{name}}Scheduler, FrameworkID) {
        let cluster = SimulatedCluster(configuration: .init(defaultBehavior: .runForever))
        await cluster.addAgents(2, resources: "cpus:1;mem:512")
        let scheduler = {{name}}Scheduler(name: "web", command: "sleep 3600", instances: instances)
        let driver = try await cluster.connect(scheduler, as: FrameworkInfo(name: "{{command}}"))
        return (cluster, scheduler, try #require(driver.frameworkID))
    }

    @Test func theWantedNumberOfInstancesRun() async throws {
        let (cluster, scheduler, framework) = try await start(instances: 4)
        await cluster.advance(by: .seconds(5))
        #expect(await cluster.tasks(of: framework, in: .running).count == 4)
        #expect(await scheduler.runningInstances == 4)
        await cluster.advance(by: .seconds(60))
        #expect(await cluster.counters(of: framework).tasksLaunched == 4, "nothing more is launched while all run")
    }

    @Test func aKilledInstanceIsReplaced() async throws {
        let (cluster, scheduler, framework) = try await start(instances: 3)
        await cluster.advance(by: .seconds(5))
        let victim = try #require(await cluster.tasks(of: framework, in: .running).first)
        await cluster.killTask(victim.info.id, of: framework)
        await cluster.advance(by: .seconds(10))

        #expect(await scheduler.replacements == 1)
        #expect(await scheduler.runningInstances == 3)
        #expect(await cluster.tasks(of: framework, in: .running).count == 3)
        #expect(await cluster.counters(of: framework).tasksLaunched == 4)
    }

    @Test func scalingUpAndDown() async throws {
        let (cluster, scheduler, framework) = try await start(instances: 2)
        await cluster.advance(by: .seconds(5))
        try await scheduler.scale(to: 5)
        await cluster.advance(by: .seconds(5))
        #expect(await cluster.tasks(of: framework, in: .running).count == 5)

        try await scheduler.scale(to: 1)
        await cluster.advance(by: .seconds(10))
        #expect(await cluster.tasks(of: framework, in: .running).count == 1)
        #expect(await scheduler.runningInstances == 1)
        #expect(await scheduler.replacements == 0, "instances scaled away are not replaced")
    }
}
