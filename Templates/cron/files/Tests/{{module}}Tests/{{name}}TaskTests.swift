import {{module}}
import RoostBatch
import RoostCore
import RoostCron
import RoostTesting
import Testing

/// {{name}}'s scheduled tasks on a simulated cluster: the real master, virtual time, simulated agents.
///
/// The tests move virtual time themselves and then call `runDue()`, so nothing depends on when a
/// background timer gets a thread.
@Suite struct {{name}}TaskTests {
    /// Virtual time zero stands for 2027-01-15T08:00:00Z, a whole minute.
    static let origin = Timestamp(secondsSinceEpoch: 1_800_000_000)

    /// A cluster whose tasks take `taskDuration`, and a scheduler on its clock.
    private func start(taskDuration: Duration = .seconds(5)) async throws -> (SimulatedCluster, CronScheduler) {
        let cluster = SimulatedCluster(configuration: .init(defaultBehavior: .finish(after: taskDuration)))
        await cluster.addAgents(2, resources: "cpus:1;mem:512")
        let time = FrameworkTime(cluster.clock, origin: cluster.clock.now, at: Self.origin)
        return (cluster, try await {{name}}.scheduler(time: time))
    }

    /// Moves virtual time to `seconds` after the origin, then lets the scheduler act.
    private func tick(_ cluster: SimulatedCluster, _ scheduler: CronScheduler, at seconds: Int) async {
        await cluster.run(until: .seconds(seconds))
        _ = await scheduler.runDue()
    }

    @Test func aTaskRunsEachTimeItsScheduleFires() async throws {
        let (cluster, scheduler) = try await start()
        try await scheduler.add(try {{name}}Task(name: "tick", schedule: "* * * * *", command: "true").cronJob())
        let driver = try await cluster.connect(scheduler, as: await scheduler.frameworkInfo)
        let framework = try #require(driver.frameworkID)

        await tick(cluster, scheduler, at: 30)
        #expect(await cluster.counters(of: framework).tasksLaunched == 0, "nothing before the first minute")
        for second in [60, 90, 120, 150] { await tick(cluster, scheduler, at: second) }

        let status = try #require(await scheduler.status(of: "tick"))
        #expect(status.history.count == 2)
        #expect(status.history.allSatisfy { $0.outcome == .succeeded })
        #expect(status.history.map(\.scheduledTime).sorted() == [60, 120].map { Self.origin.advanced(by: .seconds($0)) })
        #expect(await cluster.counters(of: framework).tasksLaunched == 2)
    }

    @Test func withoutOverlapARunStillGoingSkipsTheNext() async throws {
        let (cluster, scheduler) = try await start(taskDuration: .seconds(90))
        try await scheduler.add(try {{name}}Task(name: "slow", schedule: "* * * * *", command: "sleep 90").cronJob())
        let driver = try await cluster.connect(scheduler, as: await scheduler.frameworkInfo)
        let framework = try #require(driver.frameworkID)

        for second in stride(from: 60, through: 240, by: 15) { await tick(cluster, scheduler, at: second) }

        let status = try #require(await scheduler.status(of: "slow"))
        #expect(await cluster.counters(of: framework).tasksLaunched == 2, "the run at +120 s was skipped: +60 s was still going")
        #expect(status.history.first?.outcome == .succeeded)
    }

    @Test func badSchedulesAndNamesAreRefused() {
        #expect(throws: (any Error).self) { try {{name}}Task(name: "x", schedule: "every minute", command: "true").cronJob() }
        #expect(throws: (any Error).self) { try {{name}}Task(name: "Bad Name", schedule: "* * * * *", command: "true").cronJob() }
    }
}
