public import RoostCore

/// One thing a deployment did: the launches and kills of one plan, when the scheduler carried
/// it out.
///
/// JSON fields: `time` (seconds since the Unix epoch), `launched`, `killed` (task IDs),
/// `healthyAfter`.
public struct DeploymentStep: Hashable, Sendable, Codable {
    /// When the scheduler carried the plan out, on its clock.
    public var time: Timestamp
    /// How many new instances it launched.
    public var launched: Int
    /// The instances it killed, in order.
    public var killed: [TaskID]
    /// How many instances were healthy once the kills were sent.
    public var healthyAfter: Int

    /// Creates a step.
    public init(time: Timestamp, launched: Int, killed: [TaskID], healthyAfter: Int) {
        self.time = time
        self.launched = launched
        self.killed = killed
        self.healthyAfter = healthyAfter
    }

    /// The step that carrying out `plan` at `time` takes.
    public init(plan: InstancePlan, at time: Timestamp) {
        self.init(time: time, launched: plan.launch, killed: plan.kill, healthyAfter: plan.healthyAfterKills)
    }
}

/// Where a deployment of a service to a version stands, for status: the target, the versions it
/// replaces, the latest counts, and the steps taken so far.
///
/// `ServiceScheduler` creates one when a service's version or instance count changes, calls
/// ``record(_:at:)`` with every plan it carries out, and keeps the value once it is complete.
/// A deployment to another version starts a new progress value.
///
/// JSON fields: `targetVersion`, `previousVersions`, `instances`, `startedAt`, `completedAt`,
/// `isComplete`, `newInstances`, `healthyNewInstances`, `oldInstances`, `healthyInstances`,
/// `summary`, `steps`, `omittedSteps`, `launchedCount`, `killedCount`. Times are seconds since the Unix epoch.
public struct DeploymentProgress: Hashable, Sendable, Codable {
    /// The version being deployed.
    public let targetVersion: String
    /// Every other version seen while deploying (the versions being replaced), sorted.
    public private(set) var previousVersions: [String]
    /// How many instances of ``targetVersion`` the service should run (the latest plan's).
    public private(set) var instances: Int
    /// When the deployment started.
    public let startedAt: Timestamp
    /// When the first complete plan was recorded; kept if an instance is lost afterwards.
    public private(set) var completedAt: Timestamp?
    /// Whether the latest plan found the service converged (see ``InstancePlan/isComplete``).
    public private(set) var isComplete: Bool
    /// Instances of ``targetVersion`` launching or running, as of the latest plan.
    public private(set) var newInstances: Int
    /// Instances of ``targetVersion`` running and healthy, as of the latest plan.
    public private(set) var healthyNewInstances: Int
    /// Instances of other versions not yet being killed, as of the latest plan.
    public private(set) var oldInstances: Int
    /// Healthy instances of any version, as of the latest plan.
    public private(set) var healthyInstances: Int
    /// The latest plan's ``InstancePlan/summary``.
    public private(set) var summary: String
    /// The most recent steps, oldest first: at most ``stepLimit``.
    public private(set) var steps: [DeploymentStep]
    /// How many older steps were dropped to keep ``steps`` bounded.
    public private(set) var omittedSteps: Int
    /// How many instances the deployment launched, over all its steps, dropped ones included.
    public private(set) var launchedCount: Int
    /// How many instances the deployment killed, over all its steps, dropped ones included.
    public private(set) var killedCount: Int

    /// How many steps a progress value keeps; older ones are dropped and counted in
    /// ``omittedSteps``.
    public static let stepLimit = 100

    /// Starts tracking a deployment to `targetVersion` with `instances` instances at `startedAt`,
    /// before any plan.
    public init(targetVersion: String, instances: Int, startedAt: Timestamp) {
        self.targetVersion = targetVersion
        self.instances = max(0, instances)
        self.startedAt = startedAt
        previousVersions = []
        completedAt = nil
        isComplete = false
        newInstances = 0
        healthyNewInstances = 0
        oldInstances = 0
        healthyInstances = 0
        summary = "deploying \(targetVersion)"
        steps = []
        omittedSteps = 0
        launchedCount = 0
        killedCount = 0
    }

    /// Records a plan made for this deployment at `time`: its counts and summary become the
    /// progress's, and its launches and kills, when it has any, become a step.
    ///
    /// A plan for another version is ignored: it belongs to another deployment.
    public mutating func record(_ plan: InstancePlan, at time: Timestamp) {
        guard plan.version == targetVersion else { return }
        instances = plan.instances
        previousVersions = Array(Set(previousVersions).union(plan.previousVersions)).sorted()
        newInstances = plan.newInstances
        healthyNewInstances = plan.healthyNewInstances
        oldInstances = plan.oldInstances
        healthyInstances = plan.healthyInstances
        summary = plan.summary
        isComplete = plan.isComplete
        if isComplete, completedAt == nil { completedAt = time }
        if plan.hasActions { append(DeploymentStep(plan: plan, at: time)) }
    }

    /// Appends a step, dropping the oldest once ``stepLimit`` are kept.
    public mutating func append(_ step: DeploymentStep) {
        launchedCount += step.launched
        killedCount += step.killed.count
        steps.append(step)
        if steps.count > Self.stepLimit {
            let dropped = steps.count - Self.stepLimit
            steps.removeFirst(dropped)
            omittedSteps += dropped
        }
    }
}
