public import RoostCore

/// What ``InstancePlanner`` decided for a service: what to launch and kill now, and where the
/// service stands against its desired version and instance count.
///
/// Counts describe the snapshots the plan was made from, before its own launches and kills,
/// except ``healthyAfterKills``.
public struct InstancePlan: Hashable, Sendable {
    /// The version being converged on.
    public var version: String
    /// How many instances of ``version`` should run (never negative).
    public var instances: Int
    /// How many new instances of ``version`` to launch now.
    public var launch: Int
    /// The instances to kill now, in the order to kill them.
    public var kill: [TaskID]
    /// How many of ``kill`` run another version; they come first, then instances of
    /// ``version`` beyond ``instances``.
    public var oldKilled: Int

    /// Instances of ``version`` launching or running, not being killed.
    public var newInstances: Int
    /// Instances of ``version`` running and healthy.
    public var healthyNewInstances: Int
    /// Instances of other versions launching or running, not yet being killed.
    public var oldInstances: Int
    /// Instances of any version being killed (before this plan's kills).
    public var killingInstances: Int
    /// Instances running and healthy, of any version.
    public var healthyInstances: Int
    /// Instances still healthy once this plan's kills are sent; at least ``minimumHealthy``
    /// unless the service was already below it.
    public var healthyAfterKills: Int
    /// The healthy floor the plan kept: the strategy's, clamped to `0...instances`.
    public var minimumHealthy: Int
    /// The ceiling on instances present the plan kept: the strategy's, and at least `instances`.
    public var maximumRunning: Int
    /// The other versions still present (including instances being killed), sorted.
    public var previousVersions: [String]
    /// Whether the service has converged: exactly ``instances`` instances, all of ``version``,
    /// all running and healthy, none launching or being killed.
    public var isComplete: Bool
    /// Why the deployment cannot progress, when old instances remain and the strategy leaves no
    /// room to replace them (see ``UpgradeStrategy/noRoomToReplaceReason(instances:)``).
    public var blockedReason: String?

    /// Creates a plan; ``InstancePlanner`` makes them, and tests and callers may build their own.
    public init(
        version: String, instances: Int, launch: Int, kill: [TaskID], oldKilled: Int,
        newInstances: Int, healthyNewInstances: Int, oldInstances: Int, killingInstances: Int,
        healthyInstances: Int, healthyAfterKills: Int, minimumHealthy: Int, maximumRunning: Int,
        previousVersions: [String], isComplete: Bool, blockedReason: String?
    ) {
        self.version = version
        self.instances = instances
        self.launch = launch
        self.kill = kill
        self.oldKilled = oldKilled
        self.newInstances = newInstances
        self.healthyNewInstances = healthyNewInstances
        self.oldInstances = oldInstances
        self.killingInstances = killingInstances
        self.healthyInstances = healthyInstances
        self.healthyAfterKills = healthyAfterKills
        self.minimumHealthy = minimumHealthy
        self.maximumRunning = maximumRunning
        self.previousVersions = previousVersions
        self.isComplete = isComplete
        self.blockedReason = blockedReason
    }

    /// Whether the plan asks for anything: a launch or a kill.
    public var hasActions: Bool { launch > 0 || !kill.isEmpty }

    /// Whether instances of another version remain (launching, running or being killed): a
    /// rolling upgrade is under way.
    public var isUpgrade: Bool { !previousVersions.isEmpty }

    /// One line for status and logs, such as
    /// `rolling upgrade to v2: 2 of 4 new instances healthy, 2 old to stop (min healthy 3, max 6)`
    /// or `v2: 3 of 5 instances healthy, 1 stopping; launch 2`. Counts are as they will be once
    /// the plan is carried out: "old to stop" are old instances not yet sent a kill, "stopping"
    /// are instances being killed, this plan's kills included.
    public var summary: String {
        if isComplete { return "\(version): all \(instances) instances healthy" }
        var text: String
        if isUpgrade {
            text = "rolling upgrade to \(version): \(healthyNewInstances) of \(instances) new instances healthy"
            text += ", \(oldInstances - oldKilled) old to stop"
        } else {
            text = "\(version): \(healthyNewInstances) of \(instances) instances healthy"
        }
        let stopping = killingInstances + kill.count
        if stopping > 0 { text += ", \(stopping) stopping" }
        if isUpgrade { text += " (min healthy \(minimumHealthy), max \(maximumRunning))" }
        var actions: [String] = []
        if launch > 0 { actions.append("launch \(launch)") }
        if !kill.isEmpty { actions.append("kill \(kill.count)") }
        if !actions.isEmpty { text += "; " + actions.joined(separator: ", ") }
        if let blockedReason { text += "; blocked: " + blockedReason }
        return text
    }
}
