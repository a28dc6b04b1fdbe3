import {{module}}
import RoostCore
import RoostTesting
import Testing

/// {{name}}Scheduler's decisions on a simulated cluster: the real master, virtual time, simulated agents.
@Suite struct {{name}}SchedulerTests {
    @Test func everyPieceRunsOnceThenTheFrameworkStops() async throws {
        let cluster = SimulatedCluster(configuration: .init(defaultBehavior: .finish(after: .seconds(2))))
        await cluster.addAgents(2, resources: "cpus:1;mem:256")
        let scheduler = {{name}}Scheduler(work: (0..<5).map { .shell("echo \($0)") } + [.countWords("one two")])
        let driver = try await cluster.connect(scheduler, as: FrameworkInfo(name: "{{command}}"))
        let framework = try #require(driver.frameworkID)

        await cluster.advance(by: .seconds(1))
        let launched = await cluster.tasks(of: framework).map(\.info)
        #expect(launched.count == 6)
        #expect(launched.filter { $0.executor?.name == {{name}}Executor.name }.map { $0.labels[{{name}}Executor.textLabel] } == ["one two"],
                "the word count goes to the in-process executor")
        #expect(launched.filter { $0.command != nil }.count == 5, "the commands go to the command executor")

        _ = await cluster.runUntilIdle()
        #expect(await scheduler.succeeded == Set(0..<6))
        #expect(await scheduler.gaveUp.isEmpty)
        #expect(await cluster.snapshot().frameworks.isEmpty, "it stops its framework when done")
    }

    @Test func aFailingPieceIsRetriedThenGivenUp() async throws {
        let cluster = SimulatedCluster(configuration: .init(
            behavior: { _, task in task.id.value.hasPrefix("work-1-") ? .fail(after: .seconds(1), exitCode: 3) : nil },
            defaultBehavior: .finish(after: .seconds(1))
        ))
        await cluster.addAgents(1, resources: "cpus:1;mem:256")
        let scheduler = {{name}}Scheduler(work: [.shell("true"), .shell("exit 3")], maxAttempts: 3)
        let driver = try await cluster.connect(scheduler, as: FrameworkInfo(name: "{{command}}"))
        let framework = try #require(driver.frameworkID)

        _ = await cluster.runUntilIdle()
        #expect(await cluster.counters(of: framework).tasksLaunched == 4, "one for piece 0, three attempts for piece 1")
        #expect(await scheduler.succeeded == [0])
        #expect(await scheduler.gaveUp == [1])
        #expect(await scheduler.isDone)
    }

    @Test func tasksWaitForRoom() async throws {
        let cluster = SimulatedCluster(configuration: .init(defaultBehavior: .runForever))
        await cluster.addAgents(1, resources: "cpus:0.3;mem:256")
        let scheduler = {{name}}Scheduler(work: Array(repeating: .shell("sleep 60"), count: 5), resourcesPerTask: "cpus:0.1;mem:32")
        let driver = try await cluster.connect(scheduler, as: FrameworkInfo(name: "{{command}}"))
        let framework = try #require(driver.frameworkID)

        await cluster.advance(by: .seconds(10))
        #expect(await cluster.tasks(of: framework, in: .running).count == 3, "only three fit on the agent")
        #expect(await scheduler.succeeded.isEmpty)
        #expect(!(await scheduler.isDone))
    }
}
