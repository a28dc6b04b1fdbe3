import RoostCore
import RoostMaster
import RoostService

/// The service framework in `roost demo`: a ``ServiceScheduler`` keeping two instances healthy
/// and ready, then rolling them to a new version.
///
/// Each instance marks itself alive at once and ready a second later (files in its sandbox,
/// checked by a command health check and a command readiness check), so the demo needs no
/// server program. Once version 1 has been stable for a few seconds the part deploys
/// version 2 (a changed environment) with `minimumHealthCapacity` 0.5 and
/// `maximumOverCapacity` 0.5: one old instance at a time is replaced by a new one that must
/// be ready first. The goal: both instances on version 2, healthy, the upgrade finished.
actor ServiceDemoPart: DemoPart {
    nonisolated let name = "service"
    nonisolated let goal = "2 healthy instances, rolled to v2"
    let scheduler: ServiceScheduler
    private let v2: ServiceSpec
    private var upgraded = false

    init(explain: @escaping @Sendable (FrameworkID) async -> [AllocationExplanation]) async throws {
        @Sendable func spec(_ release: String) -> ServiceSpec {
            ServiceSpec(
                id: "web", command: .shell("touch alive; sleep 1; touch ready; exec sleep 3600"), resources: "cpus:0.2;mem:32",
                environment: ["RELEASE": release], instances: 2,
                healthCheck: .health(.command(.shell("test -f alive")), delay: .zero, interval: .seconds(1), timeout: .seconds(2), gracePeriod: .seconds(10)),
                readinessCheck: .readiness(.command(.shell("test -f ready")), interval: .milliseconds(500)),
                upgradeStrategy: UpgradeStrategy(minimumHealthCapacity: 0.5, maximumOverCapacity: 0.5),
                killGracePeriod: .seconds(1))
        }
        v2 = spec("2")
        scheduler = try await ServiceScheduler(configuration: .init(frameworkName: "service", explain: explain))
        try await scheduler.deploy(spec("1"))
    }

    var frameworkInfo: FrameworkInfo { get async { await scheduler.frameworkInfo } }

    /// Runs the scheduler and, beside it, the upgrade to version 2.
    func run(_ driver: InProcessSchedulerDriver) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.upgradeWhenStable() }
            try await scheduler.run { try await driver.run($0) }
            group.cancelAll()
        }
    }

    /// Deploys version 2 once version 1 has been stable for 3 s (looked at four times a second).
    private func upgradeWhenStable() async throws {
        var stableSince: ContinuousClock.Instant?
        while true {
            try await Task.sleep(for: .milliseconds(250))
            guard await scheduler.status(of: "web")?.isStable == true else {
                stableSince = nil
                continue
            }
            let since = stableSince ?? .now
            stableSince = since
            if ContinuousClock.now - since >= .seconds(3) {
                try await scheduler.deploy(v2)
                upgraded = true
                return
            }
        }
    }

    var goalMet: Bool {
        get async {
            guard upgraded, let status = await scheduler.status(of: "web") else { return false }
            return status.isStable && status.version == v2.version
        }
    }

    var progress: String {
        get async {
            guard let status = await scheduler.status(of: "web") else { return "gone" }
            let release = status.version == v2.version ? "v2" : "v1"
            var line = "\(status.counts.healthy)/\(status.instances) healthy \(release)"
            if let deployment = status.deployment, deployment.kind == .upgrade {
                line += ", upgrading: \(status.counts.current) new, \(status.counts.outdated) old"
            }
            return line
        }
    }

    var counts: DemoCounts {
        get async {
            guard let status = await scheduler.status(of: "web") else { return DemoCounts() }
            let totals = status.totals
            return DemoCounts(tasks: status.instances, launched: totals.launched, finished: 0, failed: totals.failed, killed: totals.stopped)
        }
    }
}
