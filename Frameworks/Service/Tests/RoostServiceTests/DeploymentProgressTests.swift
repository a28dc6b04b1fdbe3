import FoundationEssentials
import RoostCore
import RoostService
import Testing

@Suite("Deployment progress and strategy validation")
struct DeploymentProgressTests {
    private func at(_ seconds: Double) -> Timestamp { Timestamp(secondsSinceEpoch: seconds) }

    private func plan(_ current: [InstanceSnapshot], version: String = "v2", instances: Int = 2) -> InstancePlan {
        InstancePlanner.plan(
            version: version, instances: instances, strategy: UpgradeStrategy(), killSelection: .youngestFirst, current: current)
    }

    @Test("Recording plans keeps the latest counts and one step per plan that acts")
    func recordsSteps() throws {
        var progress = DeploymentProgress(targetVersion: "v2", instances: 2, startedAt: at(100))
        let start = plan(healthyFleet("a", "v1", 2))
        progress.record(start, at: at(101))
        #expect(progress.steps == [DeploymentStep(time: at(101), launched: 2, killed: [], healthyAfter: 2)])
        #expect(progress.previousVersions == ["v1"])
        #expect(progress.oldInstances == 2)

        // Nothing to do while the new instances start: no step.
        let waiting = healthyFleet("a", "v1", 2) + [instance("b-1", "v2", .launching), instance("b-2", "v2", .launching)]
        progress.record(plan(waiting), at: at(102))
        #expect(progress.steps.count == 1)
        #expect(progress.newInstances == 2)
        #expect(progress.healthyNewInstances == 0)

        let ready = healthyFleet("a", "v1", 2) + [instance("b-1", "v2", at: 5), instance("b-2", "v2", at: 6)]
        progress.record(plan(ready), at: at(110))
        #expect(progress.steps.last == DeploymentStep(time: at(110), launched: 0, killed: ["a-2", "a-1"], healthyAfter: 2))
        #expect(!progress.isComplete)

        progress.record(plan([instance("b-1", "v2", at: 5), instance("b-2", "v2", at: 6)]), at: at(120))
        #expect(progress.isComplete)
        #expect(progress.completedAt == at(120))
        #expect(progress.summary == "v2: all 2 instances healthy")
        #expect(progress.previousVersions == ["v1"])  // kept after the old instances are gone
        #expect(progress.launchedCount == 2)
        #expect(progress.killedCount == 2)

        // A plan for another version belongs to another deployment.
        progress.record(plan([], version: "v3"), at: at(130))
        #expect(progress.isComplete)
        #expect(progress.steps.count == 2)

        let decoded = try JSONDecoder().decode(DeploymentProgress.self, from: JSONEncoder().encode(progress))
        #expect(decoded == progress)
    }

    @Test("The step history is bounded and counts what it drops")
    func boundedHistory() {
        var progress = DeploymentProgress(targetVersion: "v2", instances: 1, startedAt: at(0))
        for index in 0..<(DeploymentProgress.stepLimit + 5) {
            progress.append(DeploymentStep(time: at(Double(index)), launched: 1, killed: [], healthyAfter: 0))
        }
        #expect(progress.steps.count == DeploymentProgress.stepLimit)
        #expect(progress.omittedSteps == 5)
        #expect(progress.steps.first?.time == at(5))
        #expect(progress.launchedCount == DeploymentProgress.stepLimit + 5)
    }

    @Test("A strategy with neither slack nor surplus is rejected with a reason naming both fields")
    func noRoomReason() {
        let strict = UpgradeStrategy(minimumHealthCapacity: 1, maximumOverCapacity: 0)
        #expect(!strict.hasRoomToReplace(instances: 3))
        #expect(strict.noRoomToReplaceReason(instances: 3) ==
            "minimumHealthCapacity 1 with maximumOverCapacity 0 leaves no room to replace an instance of 3: "
            + "all 3 must stay healthy and no more than 3 may run; lower minimumHealthCapacity or raise maximumOverCapacity")
        #expect(strict.hasRoomToReplace(instances: 0))
        #expect(strict.noRoomToReplaceReason(instances: 0) == nil)

        // Rounding can close the room too: ⌈0.95 × 3⌉ = 3 and ⌊1.05 × 3⌋ = 3.
        let rounded = UpgradeStrategy(minimumHealthCapacity: 0.95, maximumOverCapacity: 0.05)
        #expect(rounded.noRoomToReplaceReason(instances: 3)?.hasPrefix("minimumHealthCapacity 0.95 with maximumOverCapacity 0.05 ") == true)
        #expect(rounded.hasRoomToReplace(instances: 20))  // ⌊1.05 × 20⌋ = 21

        #expect(UpgradeStrategy().hasRoomToReplace(instances: 1))
        #expect(UpgradeStrategy(minimumHealthCapacity: 0.5, maximumOverCapacity: 0).hasRoomToReplace(instances: 2))
    }
}
