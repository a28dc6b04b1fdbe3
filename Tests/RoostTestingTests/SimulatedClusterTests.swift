import RoostCore
import RoostMaster
import RoostTesting
import Testing

/// Launches `total` copies of a task as offers allow; records every status it receives.
actor QueueScheduler: Scheduler {
    let resources: Resources
    private var toLaunch: Int
    private var launchedCount = 0
    private(set) var statuses: [TaskStatus] = []
    private(set) var registrations = 0
    private(set) var reregistrations = 0

    init(tasks: Int, resources: Resources = "cpus:1;mem:128") {
        toLaunch = tasks
        self.resources = resources
    }

    func registered(_ driver: any SchedulerDriver, frameworkID: FrameworkID, master: MasterInfo) async throws { registrations += 1 }
    func reregistered(_ driver: any SchedulerDriver, master: MasterInfo) async throws { reregistrations += 1 }

    func resourceOffers(_ driver: any SchedulerDriver, offers: [Offer]) async throws {
        for offer in offers {
            var left = offer.resources
            var tasks: [TaskInfo] = []
            while toLaunch > 0, left.contains(resources) {
                tasks.append(TaskInfo(id: TaskID("task-\(launchedCount)"), resources: resources, command: .shell("true")))
                left -= resources
                launchedCount += 1
                toLaunch -= 1
            }
            try await driver.launch(tasks, on: offer)
        }
    }

    func statusUpdate(_ driver: any SchedulerDriver, status: TaskStatus) async throws { statuses.append(status) }

    func latest(_ task: TaskID) -> TaskState? { statuses.last { $0.taskID == task }?.state }
    func count(_ state: TaskState) -> Int { statuses.filter { $0.state == state }.count }
}

struct SimulatedClusterTests {
    @Test func tasksRunForTheirVirtualDurationAndFinish() async throws {
        let cluster = SimulatedCluster(configuration: .init(defaultBehavior: .finish(after: .seconds(60))))
        await cluster.addAgents(2, resources: "cpus:4;mem:1024")
        let scheduler = QueueScheduler(tasks: 8)
        let driver = try await cluster.connect(scheduler, as: FrameworkInfo(name: "queue"))
        let framework = try #require(driver.frameworkID)
        #expect(await scheduler.registrations == 1)
        #expect(await scheduler.count(.running) == 8)

        await cluster.advance(by: .seconds(59))
        #expect(await scheduler.count(.finished) == 0)
        await cluster.advance(by: .seconds(1))
        #expect(await scheduler.count(.finished) == 8)
        #expect(await cluster.tasks(of: framework, in: .finished).count == 8)
        #expect(await cluster.counters(of: framework).tasksLaunched == 8)
        #expect(await cluster.now == .seconds(60))
    }

    @Test func aSimulatedDayOfShortTasksRunsToTheEnd() async throws {
        // 1,440 one-minute tasks on one slot: a whole day of virtual time.
        let cluster = SimulatedCluster(configuration: .init(defaultBehavior: .finish(after: .seconds(60))))
        await cluster.addAgent(resources: "cpus:1;mem:128")
        let scheduler = QueueScheduler(tasks: 1_440)
        let framework = try #require(try await cluster.connect(scheduler, as: FrameworkInfo(name: "day")).frameworkID)
        let reached = await cluster.runUntilIdle(limit: .seconds(2 * 86_400))
        #expect(await scheduler.count(.finished) == 1_440)
        #expect(reached >= .seconds(86_400))
        #expect(reached < .seconds(86_400 + 3_600))
        #expect(await cluster.allocation(of: framework).isEmpty)
    }

    @Test func scriptedAndFailingBehavioursPerTask() async throws {
        let cluster = SimulatedCluster(configuration: .init(behavior: { _, task in
            switch task.id {
            case "task-0": .fail(after: .seconds(5), exitCode: 3)
            case "task-1": .script([TaskStep(after: .seconds(2), state: .running, healthy: true, ready: true), TaskStep(after: .seconds(3), state: .finished, exitCode: 0)])
            default: .runForever
            }
        }))
        await cluster.addAgent(resources: "cpus:3;mem:384")
        let scheduler = QueueScheduler(tasks: 3)
        try await cluster.connect(scheduler, as: FrameworkInfo(name: "mixed"))
        await cluster.advance(by: .seconds(10))
        let failed = await scheduler.statuses.first { $0.taskID == "task-0" && $0.state == .failed }
        #expect(failed?.exitCode == 3)
        #expect(await scheduler.statuses.contains { $0.taskID == "task-1" && $0.healthy == true && $0.ready == true })
        #expect(await scheduler.latest("task-1") == .finished)
        #expect(await scheduler.latest("task-2") == .running)
    }

    @Test func aTaskKilledFromOutsideIsReportedFailed() async throws {
        let cluster = SimulatedCluster(configuration: .init(defaultBehavior: .runForever))
        await cluster.addAgent(resources: "cpus:2;mem:256")
        let scheduler = QueueScheduler(tasks: 2)
        let framework = try #require(try await cluster.connect(scheduler, as: FrameworkInfo(name: "victim")).frameworkID)
        await cluster.killTask("task-1", of: framework)
        #expect(await scheduler.latest("task-1") == .failed)
        #expect(await scheduler.latest("task-0") == .running)
        #expect(await cluster.tasks(of: framework, in: .running).map(\.info.id) == ["task-0"])
    }

    @Test func aPartitionedAgentBecomesUnreachableAndReconcilesWhenHealed() async throws {
        let cluster = SimulatedCluster(configuration: .init(defaultBehavior: .runForever))
        let agent = await cluster.addAgent(resources: "cpus:1;mem:128")
        let scheduler = QueueScheduler(tasks: 1)
        let info = FrameworkInfo(name: "aware", capabilities: [.partitionAware])
        let driver = try await cluster.connect(scheduler, as: info)
        await cluster.partitionAgent(agent)
        // Mesos' defaults: pings every 15 s; the fifth that goes unanswered marks the agent
        // unreachable. The first unanswered ping goes out at 15 s, so that is at 90 s.
        await cluster.advance(by: .seconds(89))
        #expect(await scheduler.latest("task-0") == .running)
        await cluster.advance(by: .seconds(1))
        #expect(await scheduler.latest("task-0") == .unreachable)
        #expect(await cluster.snapshot().agents.first?.reachable == false)

        // As in Mesos, the master sends nothing when the agent comes back: the framework
        // finds out by reconciling.
        await cluster.healAgent(agent)
        try await driver.reconcile([ReconcileTask(taskID: "task-0", agentID: agent)])
        #expect(await scheduler.latest("task-0") == .running)
        #expect(await cluster.snapshot().agents.first?.reachable == true)
    }

    @Test func anAgentRestartKeepsCheckpointingFrameworksTasksOnly() async throws {
        let cluster = SimulatedCluster(configuration: .init(defaultBehavior: .runForever))
        let agent = await cluster.addAgent(resources: "cpus:2;mem:256")
        let keeper = QueueScheduler(tasks: 1)
        let loser = QueueScheduler(tasks: 1)
        try await cluster.connect(keeper, as: FrameworkInfo(name: "keeper", checkpoint: true))
        try await cluster.connect(loser, as: FrameworkInfo(name: "loser"))
        await cluster.restartAgent(agent)
        await cluster.advance(by: .seconds(1))
        #expect(await keeper.latest("task-0") == .running)
        let lost = await loser.statuses.last
        #expect(lost?.state == .lost)
        #expect(lost?.reason == .agentRestarted)
    }

    @Test func aSchedulerFailoverWithinTheTimeoutKeepsItsTasks() async throws {
        let cluster = SimulatedCluster(configuration: .init(defaultBehavior: .runForever))
        await cluster.addAgent(resources: "cpus:2;mem:256")
        let first = QueueScheduler(tasks: 2)
        var info = FrameworkInfo(name: "failing-over", failoverTimeout: .seconds(60))
        let driver = try await cluster.connect(first, as: info)
        info.id = driver.frameworkID
        await cluster.disconnect(driver)
        await cluster.advance(by: .seconds(30))

        let second = QueueScheduler(tasks: 0)
        try await cluster.connect(second, as: info)
        #expect(await second.reregistrations == 1)
        #expect(await cluster.tasks(of: info.id, in: .running).count == 2)
        // The re-registration reconciled: the new scheduler heard of both tasks.
        #expect(await Set(second.statuses.map(\.taskID)) == ["task-0", "task-1"])
    }

    @Test func aSchedulerThatStaysAwayPastItsTimeoutLosesItsTasks() async throws {
        let cluster = SimulatedCluster(configuration: .init(defaultBehavior: .runForever))
        let agent = await cluster.addAgent(resources: "cpus:2;mem:256")
        let scheduler = QueueScheduler(tasks: 2)
        let driver = try await cluster.connect(scheduler, as: FrameworkInfo(name: "gone", failoverTimeout: .seconds(60)))
        await cluster.disconnect(driver)
        await cluster.advance(by: .seconds(61))
        #expect(await cluster.runningTasks(on: agent).isEmpty)
        #expect(await cluster.snapshot().agents.first?.free == "cpus:2;mem:256")
    }

    @Test func aMasterFailoverKeepsTasksAndFrameworksThroughReregistration() async throws {
        let cluster = SimulatedCluster(configuration: .init(behavior: { _, task in
            task.id == "task-0" ? .runForever : .finish(after: .seconds(10))
        }))
        await cluster.addAgents(2, resources: "cpus:1;mem:128")
        let scheduler = QueueScheduler(tasks: 3)
        let framework = try #require(try await cluster.connect(scheduler, as: FrameworkInfo(name: "survivor")).frameworkID)
        #expect(await cluster.snapshot().master.id == "simulated-master-1")

        await cluster.failoverMaster()
        let snapshot = await cluster.snapshot()
        #expect(snapshot.master.id == "simulated-master-2")
        #expect(snapshot.agents.count == 2)
        #expect(await scheduler.reregistrations == 1)
        // The new master learned both running tasks from the agents.
        #expect(Set(await cluster.tasks(of: framework, in: .running).map(\.info.id)) == ["task-0", "task-1"])

        // Work goes on: task-1 finishes, and the third task is launched on the freed agent.
        await cluster.advance(by: .seconds(10))
        #expect(await scheduler.latest("task-1") == .finished)
        #expect(await scheduler.latest("task-2") == .running)
    }

    @Test func droppedUpdatesArriveWhenTheAgentResendsThem() async throws {
        let cluster = SimulatedCluster(configuration: .init(defaultBehavior: .finish(after: .seconds(1))))
        await cluster.addAgent(resources: "cpus:1;mem:128")
        await cluster.dropStatusUpdates(1)  // TASK_RUNNING is lost on the way
        let scheduler = QueueScheduler(tasks: 1)
        try await cluster.connect(scheduler, as: FrameworkInfo(name: "lossy"))
        #expect(await scheduler.statuses.isEmpty)
        await cluster.advance(by: .seconds(9))
        #expect(await scheduler.statuses.isEmpty)
        // The agent resends after 10 s, then sends TASK_FINISHED once RUNNING is acknowledged.
        await cluster.advance(by: .seconds(1))
        #expect(await scheduler.statuses.map(\.state) == [.running, .finished])
    }

    @Test func delayedUpdatesArriveLate() async throws {
        let cluster = SimulatedCluster(configuration: .init(defaultBehavior: .runForever))
        await cluster.addAgent(resources: "cpus:1;mem:128")
        await cluster.delayStatusUpdates(by: .seconds(3))
        let scheduler = QueueScheduler(tasks: 1)
        try await cluster.connect(scheduler, as: FrameworkInfo(name: "slow"))
        await cluster.advance(by: .seconds(2))
        #expect(await scheduler.statuses.isEmpty)
        await cluster.advance(by: .seconds(1))
        #expect(await scheduler.latest("task-0") == .running)
    }

    @Test func callbacksRunAtTheirVirtualTimeInOrder() async throws {
        let cluster = SimulatedCluster()
        let seen = Recorder()
        await cluster.at(.seconds(20)) { seen.append(20) }
        await cluster.at(.seconds(5)) { seen.append(5) }
        await cluster.advance(by: .seconds(10))
        #expect(seen.values == [5])
        await cluster.runUntilIdle()
        #expect(seen.values == [5, 20])
        #expect(await cluster.now == .seconds(20))
    }

    @Test(.tags(.slow)) func aHundredThousandAgentsAreRegisteredOfferedAndUsed() async throws {
        let cluster = SimulatedCluster(configuration: .init(defaultBehavior: .finish(after: .seconds(30))))
        let ids = await cluster.addAgents(100_000, resources: "cpus:8;mem:16384")
        #expect(Set(ids).count == 100_000)
        let scheduler = SamplingScheduler(tasks: 1_000)
        let framework = try #require(try await cluster.connect(scheduler, as: FrameworkInfo(name: "sampling")).frameworkID)
        #expect(await cluster.counters(of: framework).offersReceived == 100_000)
        #expect(await cluster.counters(of: framework).tasksLaunched == 1_000)
        #expect(await cluster.tasks(of: framework, in: .running).count == 1_000)
        await cluster.advance(by: .seconds(30))
        #expect(await cluster.tasks(of: framework, in: .finished).count == 1_000)
    }
}

/// Launches one task on each of the first `tasks` offers and declines every other offer in
/// one call with a long filter.
actor SamplingScheduler: Scheduler {
    private var left: Int

    init(tasks: Int) { left = tasks }

    func resourceOffers(_ driver: any SchedulerDriver, offers: [Offer]) async throws {
        var declined: [OfferID] = []
        for offer in offers {
            guard left > 0 else {
                declined.append(offer.id)
                continue
            }
            left -= 1
            try await driver.launch([TaskInfo(id: TaskID("sample-\(left)"), resources: "cpus:1;mem:128", command: .shell("true"))], on: offer)
        }
        try await driver.decline(declined, filters: Filters(refuse: .seconds(3_600)))
    }
}

extension Tag {
    /// Tests that take seconds rather than milliseconds; they still run in CI.
    @Tag static var slow: Self
}
