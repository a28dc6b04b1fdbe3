import RoostCore
import RoostService
import Testing

/// One instance at a given launch time (seconds), running and healthy unless told otherwise.
func instance(
    _ id: String, _ version: String, _ phase: InstanceSnapshot.Phase = .running, healthy: Bool = true, at time: Double = 0
) -> InstanceSnapshot {
    InstanceSnapshot(
        id: TaskID(id), version: version, phase: phase, healthy: phase == .running && healthy,
        startedAt: Timestamp(secondsSinceEpoch: time))
}

/// `count` healthy running instances of `version` named `prefix-1`…, launched at 1, 2, … seconds.
func healthyFleet(_ prefix: String, _ version: String, _ count: Int) -> [InstanceSnapshot] {
    (0..<count).map { instance("\(prefix)-\($0 + 1)", version, at: Double($0 + 1)) }
}

@Suite("Instance planner rules")
struct InstancePlannerTests {
    private func plan(
        _ current: [InstanceSnapshot], version: String = "v2", instances: Int,
        health: Double = 1, over: Double = 1, selection: KillSelection = .youngestFirst
    ) -> InstancePlan {
        InstancePlanner.plan(
            version: version, instances: instances,
            strategy: UpgradeStrategy(minimumHealthCapacity: health, maximumOverCapacity: over),
            killSelection: selection, current: current)
    }

    @Test("A converged service is complete and asks for nothing")
    func converged() {
        let result = plan(healthyFleet("a", "v2", 3), instances: 3)
        #expect(result.isComplete)
        #expect(!result.hasActions)
        #expect(!result.isUpgrade)
        #expect(result.summary == "v2: all 3 instances healthy")
    }

    @Test("A new service launches every instance even when the strategy allows no surplus")
    func freshService() {
        let result = plan([], instances: 3, health: 1, over: 0)
        #expect(result.launch == 3)
        #expect(result.kill.isEmpty)
        #expect(result.maximumRunning == 3)
        #expect(!result.isComplete)
        #expect(result.summary == "v2: 0 of 3 instances healthy; launch 3")
    }

    @Test("Instances being killed count toward the ceiling, never as healthy, and are not killed again")
    func killingInstances() {
        // Ceiling 3: two healthy and one still being killed leave no room.
        let crowded = plan(healthyFleet("a", "v2", 2) + [instance("a-9", "v2", .killing)], instances: 3, health: 0.5, over: 0)
        #expect(crowded.launch == 0)
        #expect(crowded.kill.isEmpty)
        #expect(crowded.killingInstances == 1)
        #expect(crowded.healthyInstances == 2)
        #expect(crowded.summary == "v2: 2 of 3 instances healthy, 1 stopping")
        // Once it is gone the missing instance is launched.
        #expect(plan(healthyFleet("a", "v2", 2), instances: 3, health: 0.5, over: 0).launch == 1)
        // An old instance being killed is not killed again and does not make the upgrade complete.
        let upgrade = plan(healthyFleet("b", "v2", 3) + [instance("a-1", "v1", .killing)], instances: 3)
        #expect(upgrade.kill.isEmpty)
        #expect(!upgrade.isComplete)
        #expect(upgrade.previousVersions == ["v1"])
    }

    @Test("Old instances that are not healthy are killed at once, even below the floor")
    func oldUnhealthyGoFirst() {
        let current = [
            instance("a-1", "v1", at: 1),
            instance("a-2", "v1", healthy: false, at: 2),
            instance("a-3", "v1", .launching, at: 3),
        ]
        let result = plan(current, instances: 3)
        // Launching before running-unhealthy; the healthy one stays: the floor is 3 and only 1 is healthy.
        #expect(result.kill == ["a-3", "a-2"])
        #expect(result.oldKilled == 2)
        #expect(result.healthyAfterKills == 1)
        #expect(result.launch == 3)
    }

    @Test("Healthy old instances stop only down to the floor, chosen by kill selection", arguments: [
        (KillSelection.youngestFirst, TaskID("a-4")), (.oldestFirst, "a-1"),
    ])
    func healthyOldDownToFloor(selection: KillSelection, first: TaskID) {
        // 4 instances at (0.75, 0.25): floor 3, ceiling 5.
        let result = plan(healthyFleet("a", "v1", 4), instances: 4, health: 0.75, over: 0.25, selection: selection)
        #expect(result.minimumHealthy == 3)
        #expect(result.maximumRunning == 5)
        #expect(result.kill == [first])
        #expect(result.healthyAfterKills == 3)
        #expect(result.launch == 1)  // 4 present, the kill still holds its slot: room for 1.
    }

    @Test("Marathon's defaults start every new instance first and stop old ones as new ones become healthy")
    func marathonDefaults() {
        let start = plan(healthyFleet("a", "v1", 4), instances: 4)
        #expect(start.launch == 4)
        #expect(start.kill.isEmpty)
        #expect(start.summary == "rolling upgrade to v2: 0 of 4 new instances healthy, 4 old to stop (min healthy 4, max 8); launch 4")

        let halfway = healthyFleet("a", "v1", 4) + [
            instance("b-1", "v2", at: 10), instance("b-2", "v2", at: 11),
            instance("b-3", "v2", .launching, at: 12), instance("b-4", "v2", healthy: false, at: 13),
        ]
        let result = plan(halfway, instances: 4)
        #expect(result.kill == ["a-4", "a-3"])
        #expect(result.launch == 0)
        #expect(result.healthyNewInstances == 2)
        #expect(result.summary == "rolling upgrade to v2: 2 of 4 new instances healthy, 2 old to stop, 2 stopping (min healthy 4, max 8); kill 2")
    }

    @Test("The ceiling counts launching and killing instances of every version")
    func ceilingCountsEverything() {
        // 2 instances at (1, 0.5): ceiling 3.
        let current = healthyFleet("a", "v1", 2) + [instance("b-1", "v2", .launching)]
        let result = plan(current, instances: 2, over: 0.5)
        #expect(result.launch == 0)
        #expect(result.kill.isEmpty)
        // An old instance still being killed holds its slot: the second new one waits for it.
        let draining = healthyFleet("a", "v1", 1) + [instance("a-2", "v1", .killing), instance("b-1", "v2")]
        let waiting = plan(draining, instances: 2, over: 0.5)
        #expect(waiting.launch == 0)
        #expect(waiting.kill.isEmpty)  // 2 healthy, floor 2.
        #expect(plan(Array(draining.filter { $0.id != "a-2" }), instances: 2, over: 0.5).launch == 1)
    }

    @Test("No health floor and no surplus stops every old instance before starting the new version")
    func stopThenStart() {
        let first = plan(healthyFleet("a", "v1", 3), instances: 3, health: 0, over: 0)
        #expect(first.kill == ["a-3", "a-2", "a-1"])
        #expect(first.launch == 0)
        #expect(first.healthyAfterKills == 0)
        let draining = plan(healthyFleet("a", "v1", 3).map { var i = $0; i.phase = .killing; i.healthy = false; return i }, instances: 3, health: 0, over: 0)
        #expect(!draining.hasActions)
        #expect(plan([], instances: 3, health: 0, over: 0).launch == 3)
    }

    @Test("Scaling up launches the missing instances within the ceiling")
    func scaleUp() {
        let result = plan(healthyFleet("a", "v2", 2), instances: 5, over: 0)
        #expect(result.launch == 3)
        #expect(result.kill.isEmpty)
        #expect(!result.isUpgrade)
    }

    @Test("Scaling down kills launching, then unhealthy, then healthy instances by kill selection, and no more than the excess",
          arguments: [(KillSelection.youngestFirst, TaskID("a-5")), (.oldestFirst, "a-3")])
    func scaleDown(selection: KillSelection, healthyVictim: TaskID) {
        let current = [
            instance("a-1", "v2", .launching, at: 1), instance("a-2", "v2", healthy: false, at: 2),
            instance("a-3", "v2", at: 3), instance("a-4", "v2", at: 4), instance("a-5", "v2", at: 5),
        ]
        let result = plan(current, instances: 2, selection: selection)
        #expect(result.kill == ["a-1", "a-2", healthyVictim])
        #expect(result.oldKilled == 0)
        #expect(result.launch == 0)
        #expect(result.healthyAfterKills == 2)
        // Already being killed: only the remaining excess goes.
        var draining = current
        draining[0].phase = .killing
        #expect(plan(draining, instances: 2, selection: selection).kill == ["a-2", healthyVictim])
    }

    @Test("Scaling to zero kills everything and completes once nothing is left")
    func scaleToZero() {
        let result = plan(healthyFleet("a", "v2", 2) + [instance("b-1", "v1")], instances: 0)
        #expect(Set(result.kill) == ["a-1", "a-2", "b-1"])
        #expect(result.kill.first == "b-1")  // old first
        #expect(result.launch == 0)
        #expect(plan([], instances: 0).isComplete)
    }

    @Test("An instance that turns unhealthy mid-deployment stops old instances from being killed for it")
    func unhealthyMidDeployment() {
        // 3 at defaults: floor 3. One of three new instances fails its health check.
        let current = healthyFleet("a", "v1", 3) + [
            instance("b-1", "v2", at: 10), instance("b-2", "v2", at: 11), instance("b-3", "v2", healthy: false, at: 12),
        ]
        let result = plan(current, instances: 3)
        #expect(result.kill == ["a-3", "a-2"])  // 5 healthy, floor 3: two old go, one stays for b-3.
        #expect(result.launch == 0)             // b-3 is live; replacing it is the health policy's call.
        // An old instance turning unhealthy is killed at once and the healthy floor is kept.
        var oldSick = healthyFleet("a", "v1", 3) + [instance("b-1", "v2", .launching, at: 10)]
        oldSick[0].healthy = false
        let second = plan(oldSick, instances: 3)
        #expect(second.kill == ["a-1"])
        #expect(second.healthyAfterKills == 2)
        #expect(second.launch == 2)
    }

    @Test("Instances of every other version are old")
    func severalOldVersions() {
        let current = [instance("a-1", "v1", at: 1), instance("b-1", "v2", at: 2), instance("c-1", "v3", .launching, at: 3)]
        let result = plan(current, version: "v3", instances: 1, health: 1, over: 1)
        #expect(result.previousVersions == ["v1", "v2"])
        #expect(result.oldInstances == 2)
        #expect(result.kill == ["b-1"])  // healthy 2, floor 1: one old goes, the youngest.
    }

    @Test("A strategy with no room to replace plans nothing and says why")
    func blocked() {
        let result = plan(healthyFleet("a", "v1", 3), instances: 3, health: 1, over: 0)
        #expect(!result.hasActions)
        #expect(result.blockedReason != nil)
        #expect(result.summary.hasSuffix("; blocked: " + (result.blockedReason ?? "")))
        // The same strategy is fine once no old instance is left.
        #expect(plan(healthyFleet("a", "v2", 2), instances: 3, health: 1, over: 0).blockedReason == nil)
    }

    @Test("Out-of-range strategies cannot stop scaling or go negative")
    func clamped() {
        let result = plan(healthyFleet("a", "v2", 1), instances: 2, health: 3, over: -1)
        #expect(result.minimumHealthy == 2)
        #expect(result.maximumRunning == 2)
        #expect(result.launch == 1)
        #expect(plan([], instances: -4).instances == 0)
    }
}
