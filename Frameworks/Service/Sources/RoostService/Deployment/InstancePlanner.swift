import RoostCore

/// Decides which instances of a service to launch and which to kill so that it converges on a
/// desired version and instance count: rolling upgrades, scaling and replacement of lost
/// instances, under an ``UpgradeStrategy``.
///
/// The rules are Marathon's `TaskReplaceActor` without its "ignition" exception, so the
/// strategy's bounds hold strictly:
/// - the planner never kills a healthy instance if that takes the healthy count below
///   ``UpgradeStrategy/minimumHealthy(of:)`` (it may drop below only by what the planner does not
///   control, such as an instance dying);
/// - it never launches so that the instances present (old, new, launching and being killed)
///   exceed the larger of `instances` and ``UpgradeStrategy/maximumRunning(of:)``.
///
/// The planner is pure and synchronous: `ServiceScheduler` calls it whenever an instance
/// changes, carries the plan out, and reflects it in the next call's snapshots (launched
/// instances as ``InstanceSnapshot/Phase/launching``, killed ones as
/// ``InstanceSnapshot/Phase/killing``). Given the same snapshots it returns the same plan, so a
/// caller that does not reflect a plan is told to carry it out again.
public enum InstancePlanner {
    /// Plans the next launches and kills for a service that should run `instances` instances
    /// of `version`.
    ///
    /// In order:
    /// 1. Instances being killed are left alone: they count toward the instances present but
    ///    never as healthy.
    /// 2. Instances of another version that are not healthy (launching, or running unhealthy)
    ///    are killed at once.
    /// 3. Healthy instances of another version are killed, chosen by `killSelection`, while the
    ///    healthy count stays at or above the strategy's floor. The planner uses all the slack
    ///    the strategy gives, as Marathon does: with a floor of 0 every old instance stops at once.
    /// 4. Instances of `version` beyond `instances` are killed: launching ones first, then
    ///    running unhealthy ones, then healthy ones by `killSelection` (each group ordered by
    ///    `killSelection`), never a healthy one past the floor and never more than the excess.
    /// 5. New instances of `version` are launched up to `instances` live ones, as far as the
    ///    ceiling allows.
    ///
    /// Instances of `version` that run but stay unhealthy are neither killed nor replaced here:
    /// they are counted as live, and stopping them is the health check policy's decision.
    ///
    /// - Parameters:
    ///   - version: The spec version to converge on; compared with each instance's by `==`.
    ///   - instances: How many instances of `version` should run; negative counts as 0.
    ///   - strategy: The bounds. The floor is clamped to `0...instances` and the ceiling is at
    ///     least `instances`, so a strategy outside its documented ranges cannot stop scaling.
    ///   - killSelection: Which healthy instances go first when some must stop.
    ///   - current: Every instance the scheduler knows of, with unique IDs.
    /// - Returns: What to do now, and where the deployment stands.
    public static func plan(
        version: String,
        instances: Int,
        strategy: UpgradeStrategy,
        killSelection: KillSelection,
        current: [InstanceSnapshot]
    ) -> InstancePlan {
        let target = max(0, instances)
        let floor = min(target, max(0, strategy.minimumHealthy(of: target)))
        let ceiling = max(target, strategy.maximumRunning(of: target))

        let live = current.filter(\.isLive)
        let old = live.filter { $0.version != version }
        let new = live.filter { $0.version == version }
        let healthyNow = live.count(where: \.countsAsHealthy)
        var healthy = healthyNow
        var kill: [TaskID] = []

        // Old instances that cannot serve are no loss to health: stop them all now.
        let oldUnhealthy = old.filter { !$0.countsAsHealthy }
        kill += killOrder(oldUnhealthy, killSelection).map(\.id)

        // Healthy old instances stop as far as the floor allows.
        let oldHealthy = killOrder(old.filter(\.countsAsHealthy), killSelection)
        let oldStopping = oldHealthy.prefix(max(0, healthy - floor))
        kill += oldStopping.map(\.id)
        healthy -= oldStopping.count

        // Instances of the version beyond the target: the least useful first.
        let excess = new.count - target
        if excess > 0 {
            for instance in killOrder(new, killSelection).prefix(excess) {
                if instance.countsAsHealthy {
                    // With the floor at most `target` this always passes (the old kills above
                    // leave at least the new healthy ones); it keeps the floor by construction.
                    // Healthy ones come last in the order, so none after this one may go either.
                    guard healthy > floor else { break }
                    healthy -= 1
                }
                kill.append(instance.id)
            }
        }

        // Launch up to the target, within the ceiling. Kills issued now still count: their
        // processes hold resources until they end.
        let launch = max(0, min(target - new.count, ceiling - current.count))

        let isComplete = current.count == target && current.allSatisfy { $0.version == version && $0.countsAsHealthy }
        let previousVersions = Set(current.lazy.map(\.version).filter { $0 != version }).sorted()
        let blockedReason = old.isEmpty ? nil : strategy.noRoomToReplaceReason(instances: target)

        return InstancePlan(
            version: version,
            instances: target,
            launch: launch,
            kill: kill,
            oldKilled: oldUnhealthy.count + oldStopping.count,
            newInstances: new.count,
            healthyNewInstances: new.count(where: \.countsAsHealthy),
            oldInstances: old.count,
            killingInstances: current.count - live.count,
            healthyInstances: healthyNow,
            healthyAfterKills: healthy,
            minimumHealthy: floor,
            maximumRunning: ceiling,
            previousVersions: previousVersions,
            isComplete: isComplete,
            blockedReason: blockedReason
        )
    }

    /// `instances` in the order they should stop: launching, then running unhealthy, then
    /// healthy, each group by `selection` (youngest: latest `startedAt` first), ties by task ID
    /// so plans are deterministic.
    static func killOrder(_ instances: [InstanceSnapshot], _ selection: KillSelection) -> [InstanceSnapshot] {
        func rank(_ instance: InstanceSnapshot) -> Int {
            switch instance.phase {
            case .launching: 0
            case .running: instance.healthy ? 2 : 1
            case .killing: 3
            }
        }
        return instances.sorted { lhs, rhs in
            if rank(lhs) != rank(rhs) { return rank(lhs) < rank(rhs) }
            if lhs.startedAt != rhs.startedAt {
                switch selection {
                case .youngestFirst: return lhs.startedAt > rhs.startedAt
                case .oldestFirst: return lhs.startedAt < rhs.startedAt
                }
            }
            return lhs.id < rhs.id
        }
    }
}
