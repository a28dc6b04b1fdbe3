import RoostCore
import RoostMaster
import RoostService
import RoostTesting
import Testing

/// The scheduler on a simulated cluster (virtual time): instances, back-off, scaling,
/// deployments, failover.
@Suite("Service scheduler (simulated)")
struct SchedulerTests {
    func web(_ instances: Int = 3, command: String = "serve", _ change: (inout ServiceSpec) -> Void = { _ in }) -> ServiceSpec {
        var spec = ServiceSpec(id: "web", command: .shell(command), resources: "cpus:0.1;mem:32", instances: instances)
        change(&spec)
        return spec
    }

    @Test("It keeps the wanted instances running, replacing one killed from outside")
    func keepsInstances() async throws {
        let sim = Simulation()
        await sim.addAgents(2)
        let scheduler = try await sim.scheduler()
        let driver = try await sim.connect(scheduler)
        try await scheduler.deploy(web(3))
        await sim.run(scheduler, until: "3 healthy") { await $0.status(of: "web")?.isStable == true }
        let before = try #require(await scheduler.status(of: "web"))
        let frameworkID = try #require(driver.frameworkID)
        await sim.cluster.killTask(before.taskIDs[1], of: frameworkID)
        await sim.run(scheduler, until: "a replacement is healthy") { scheduler in
            guard let status = await scheduler.status(of: "web") else { return false }
            return status.isStable && !status.taskIDs.contains(before.taskIDs[1])
        }
        let after = try #require(await scheduler.status(of: "web"))
        #expect(after.instanceList.count == 3)
        // The process died under it (a crash, not a kill the scheduler asked for): a failure,
        // so the replacement waited out the first back-off.
        #expect(after.delay == .seconds(1))
        #expect(after.lastFailure?.taskID == before.taskIDs[1])
        #expect(await sim.cluster.tasks(of: frameworkID, in: .running).count == 3)
    }

    @Test("The launch delay grows by backoffFactor on FAILED and FINISHED, not on KILLED, and resets on a new version")
    func backoff() async throws {
        // Every instance of the first version exits after 1 s: failing, or finishing for the "finish" command.
        let sim = Simulation { task in
            switch task.command {
            case .shell("crash"): .fail(after: .seconds(1), exitCode: 3)
            case .shell("exit"): .finish(after: .seconds(1))
            default: nil
            }
        }
        await sim.addAgents(1)
        let scheduler = try await sim.scheduler()
        try await sim.connect(scheduler)
        try await scheduler.deploy(web(1, command: "crash") { $0.backoff = .seconds(2); $0.backoffFactor = 1.5 })
        var delays: [Double] = []
        await sim.run(scheduler, until: "four failures") { scheduler in
            guard let status = await scheduler.status(of: "web"), let delay = status.delay?.seconds else { return false }
            if delays.last != delay { delays.append(delay) }
            return delays.count == 4
        }
        #expect(delays == [2, 3, 4.5, 6.75])
        let failure = try #require(await scheduler.status(of: "web")?.lastFailure)
        #expect(failure.state == .failed)
        #expect(failure.message.contains("3"))

        // The delay holds launches back: nothing is launched until it has passed.
        let waiting = try #require(await scheduler.status(of: "web"))
        let remaining = try #require(waiting.delayRemaining)
        #expect(remaining > .zero && remaining <= .milliseconds(6_750))

        // A new version starts without a delay; FINISHED grows it too.
        try await scheduler.deploy(web(1, command: "exit") { $0.backoff = .seconds(2); $0.backoffFactor = 1.5 })
        #expect(await scheduler.status(of: "web")?.delay == nil)
        await sim.run(scheduler, until: "a finished instance delays the next") { await $0.status(of: "web")?.delay == .seconds(2) }
        #expect(await scheduler.status(of: "web")?.lastFailure?.state == .finished)

        // Killing by the scheduler (scaling to 0) is not a failure.
        try await scheduler.deploy(web(1, command: "serve"))
        await sim.run(scheduler, until: "stable") { await $0.status(of: "web")?.isStable == true }
        try await scheduler.scale("web", instances: 0)
        await sim.run(scheduler, until: "scaled to 0") { await $0.status(of: "web")?.instanceList.isEmpty == true }
        #expect(await scheduler.status(of: "web")?.delay == nil)
    }

    @Test("The delay is capped at maxLaunchDelay, and resetDelay clears it")
    func backoffCap() async throws {
        let sim = Simulation { _ in .fail(after: .seconds(1), exitCode: 1) }
        await sim.addAgents(1)
        let scheduler = try await sim.scheduler()
        try await sim.connect(scheduler)
        try await scheduler.deploy(web(1) { $0.backoff = .seconds(1); $0.backoffFactor = 4; $0.maxLaunchDelay = .seconds(10) })
        await sim.run(scheduler, until: "the delay reaches its cap") { await $0.status(of: "web")?.delay == .seconds(10) }
        try await scheduler.resetDelay("web")
        let status = try #require(await scheduler.status(of: "web"))
        #expect(status.delay == nil && status.delayRemaining == nil)
    }

    @Test("Scaling down stops the youngest instances first, or the oldest", arguments: [KillSelection.youngestFirst, .oldestFirst])
    func scaleDown(selection: KillSelection) async throws {
        let sim = Simulation()
        await sim.addAgents(1)
        let scheduler = try await sim.scheduler()
        try await sim.connect(scheduler)
        // Scale up one at a time so every instance has its own start time.
        for count in 1...4 {
            try await scheduler.deploy(web(count) { $0.killSelection = selection })
            await sim.run(scheduler, until: "\(count) running") { await $0.status(of: "web")?.isStable == true }
            await sim.cluster.advance(by: .seconds(5))
        }
        let all = try #require(await scheduler.status(of: "web")).instanceList.sorted { $0.startedAt! < $1.startedAt! }.map(\.taskID)
        try await scheduler.deploy(web(2) { $0.killSelection = selection })
        await sim.run(scheduler, until: "2 left") { await $0.status(of: "web")?.isStable == true }
        let left = Set(try #require(await scheduler.status(of: "web")).taskIDs)
        #expect(left == Set(selection == .youngestFirst ? all.prefix(2) : all.suffix(2)))
    }

    @Test("A rolling upgrade keeps the healthy floor and the ceiling at every step", arguments: [
        (1.0, 1.0), (1.0, 0.5), (0.5, 0.0), (0.0, 0.0), (0.5, 0.5), (0.75, 0.25),
    ])
    func rollingUpgrade(minimumHealth: Double, maximumOver: Double) async throws {
        // Instances report healthy 3 s after they start; each deployment step waits for that.
        let sim = Simulation { _ in .script([TaskStep(after: .seconds(3), state: .running, healthy: true)]) }
        await sim.addAgents(2, resources: "cpus:4;mem:4096")
        let scheduler = try await sim.scheduler()
        let driver = try await sim.connect(scheduler)
        let strategy = UpgradeStrategy(minimumHealthCapacity: minimumHealth, maximumOverCapacity: maximumOver)
        let check = ServiceCheck.health(.command(.shell("true")))
        try await scheduler.deploy(web(4, command: "v1") { $0.upgradeStrategy = strategy; $0.healthCheck = check })
        await sim.run(scheduler, until: "v1 stable") { await $0.status(of: "web")?.isStable == true }
        let frameworkID = try #require(driver.frameworkID)

        let v2 = web(4, command: "v2") { $0.upgradeStrategy = strategy; $0.healthCheck = check }
        try await scheduler.deploy(v2)
        let floor = strategy.minimumHealthy(of: 4)
        let ceiling = max(4, strategy.maximumRunning(of: 4))
        var steps = 0
        await sim.run(scheduler, until: "v2 stable", afterEachStep: { scheduler in
            steps += 1
            let status = await scheduler.status(of: "web")!
            let live = await sim.cluster.tasks(of: frameworkID).filter { !$0.state.isTerminal }.count
            #expect(status.counts.healthy >= floor, "step \(steps): \(status.counts.healthy) healthy, floor \(floor)")
            #expect(live <= ceiling, "step \(steps): \(live) tasks live on the cluster, ceiling \(ceiling)")
        }) { scheduler in
            guard let status = await scheduler.status(of: "web") else { return false }
            return status.isStable && status.version == v2.version
        }
        let status = try #require(await scheduler.status(of: "web"))
        #expect(status.instanceList.allSatisfy { $0.version == v2.version })
        #expect(status.recentDeployments.last?.outcome == .succeeded)
        #expect(status.recentDeployments.last?.kind == .upgrade)
        #expect(!(status.recentDeployments.last?.progress.steps.isEmpty ?? true))
    }

    @Test("One deployment at a time: a second needs force; rollback deploys the previous version")
    func deployments() async throws {
        // New instances never become healthy, so the upgrade cannot finish on its own.
        let sim = Simulation { task in
            task.command == .shell("v2") ? .runForever : .script([TaskStep(after: .seconds(1), state: .running, healthy: true)])
        }
        await sim.addAgents(1)
        let scheduler = try await sim.scheduler()
        try await sim.connect(scheduler)
        let check = ServiceCheck.health(.command(.shell("true")))
        let v1 = web(2, command: "v1") { $0.healthCheck = check }
        try await scheduler.deploy(v1)
        await sim.run(scheduler, until: "v1 stable") { await $0.status(of: "web")?.isStable == true }
        let upgrade = try #require(try await scheduler.deploy(web(2, command: "v2") { $0.healthCheck = check }))
        await sim.cluster.advance(by: .seconds(5))
        #expect(await scheduler.status(of: "web")?.deployment?.id == upgrade.id)

        do {
            try await scheduler.deploy(web(2, command: "v3") { $0.healthCheck = check })
            Issue.record("a second deployment was accepted without force")
        } catch let error as ServiceSchedulerError {
            #expect(error.code == .deploymentInProgress)
            #expect(error.message.contains(upgrade.id))
        }
        let rollback = try #require(try await scheduler.rollback("web", force: true))
        #expect(rollback.kind == .rollback)
        #expect(rollback.version == v1.version)
        await sim.run(scheduler, until: "back on v1") { scheduler in
            guard let status = await scheduler.status(of: "web") else { return false }
            return status.isStable && status.version == v1.version
        }
        let history = try #require(await scheduler.status(of: "web")).recentDeployments
        #expect(history.contains { $0.id == upgrade.id && $0.outcome == .superseded(by: rollback.id) })
        // Deploying what runs changes nothing; a second rollback goes back to v2.
        #expect(try await scheduler.deploy(v1) == nil)
        let again = try #require(try await scheduler.rollback("web"))
        #expect(again.version == web(2, command: "v2") { $0.healthCheck = check }.version)
    }

    @Test("A new scheduler with the same store takes over the instances without launching twice")
    func failover() async throws {
        let sim = Simulation()
        await sim.addAgents(2)
        let first = try await sim.scheduler()
        let driver = try await sim.connect(first)
        try await first.deploy(web(3))
        await sim.run(first, until: "stable") { await $0.status(of: "web")?.isStable == true }
        let before = try #require(await first.status(of: "web")).taskIDs
        await sim.cluster.disconnect(driver)

        let second = try await sim.scheduler()
        let frameworkID = try #require(await second.frameworkInfo.id)
        try await sim.connect(second)
        await sim.run(second, until: "stable again") { await $0.status(of: "web")?.isStable == true }
        await sim.cluster.advance(by: .seconds(10))
        #expect(try #require(await second.status(of: "web")).taskIDs == before)
        #expect(await sim.cluster.tasks(of: frameworkID).count == 3)
    }

    @Test("Removing a service stops its instances and forgets it")
    func remove() async throws {
        let sim = Simulation()
        await sim.addAgents(1)
        let scheduler = try await sim.scheduler()
        let driver = try await sim.connect(scheduler)
        try await scheduler.deploy(web(2))
        await sim.run(scheduler, until: "stable") { await $0.status(of: "web")?.isStable == true }
        try await scheduler.remove("web")
        await sim.run(scheduler, until: "removed") { await $0.status(of: "web") == nil }
        let frameworkID = try #require(driver.frameworkID)
        #expect(await sim.cluster.tasks(of: frameworkID, in: .running).isEmpty)
        await #expect(throws: ServiceSchedulerError.self) { try await scheduler.scale("web", instances: 1) }
    }

    @Test("Instances that do not fit say why in the status")
    func unplaced() async throws {
        let sim = Simulation()
        await sim.addAgents(1, resources: "cpus:0.25;mem:1024")
        let scheduler = try await sim.scheduler()
        try await sim.connect(scheduler)
        try await scheduler.deploy(web(3))
        await sim.run(scheduler, until: "2 running and a problem reported") { scheduler in
            guard let status = await scheduler.status(of: "web") else { return false }
            return status.counts.running == 2 && !status.placementProblems.isEmpty
        }
        let status = try #require(await scheduler.status(of: "web"))
        #expect(status.placementProblems.first?.contains("offer too small: an instance needs cpus:0.1;mem:32") == true)
    }
}
