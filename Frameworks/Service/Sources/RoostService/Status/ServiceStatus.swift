public import RoostCore

/// Where a service stands: its instances by state and health, its deployment, its back-off,
/// its last failure, and why wanted instances are not placed.
///
/// JSON fields: `id`, `version`, `instances`, `counts`, `totals`, `instanceList`, `deployment`,
/// `recentDeployments`, `delayRemainingSeconds`, `delaySeconds`, `lastFailure`,
/// `placementProblems`, `allocator`, `removing`.
public struct ServiceStatus: Hashable, Sendable, Codable {
    /// Instance counts.
    ///
    /// JSON fields: `launching`, `running`, `healthy`, `unhealthy`, `notReady`, `killing`, `current`, `outdated`.
    public struct Counts: Hashable, Sendable, Codable {
        /// Launched, not yet running.
        public var launching = 0
        /// Running (healthy or not).
        public var running = 0
        /// Running, healthy and ready (what a deployment counts).
        public var healthy = 0
        /// Running with a failed health check.
        public var unhealthy = 0
        /// Running with a readiness check that has not passed (yet).
        public var notReady = 0
        /// Being killed.
        public var killing = 0
        /// Running the target version (any state).
        public var current = 0
        /// Running another version.
        public var outdated = 0
    }

    /// Counts since the service was first deployed.
    ///
    /// JSON fields: `launched`, `failed`, `stopped`.
    public struct Totals: Hashable, Sendable, Codable {
        /// Instances launched.
        public var launched = 0
        /// Instances that failed, finished, were lost or were killed as unhealthy.
        public var failed = 0
        /// Instances the scheduler stopped (scaling down, deployments, removal).
        public var stopped = 0
    }

    /// The service's ID.
    public var id: String
    /// The target ``ServiceSpec/version``.
    public var version: String
    /// The target number of instances.
    public var instances: Int
    /// Instance counts.
    public var counts: Counts
    /// Counts since the service was first deployed.
    public var totals: Totals
    /// Every live instance, oldest first.
    public var instanceList: [ServiceInstance]
    /// The deployment in progress, if any.
    public var deployment: Deployment?
    /// The last few finished deployments, newest last.
    public var recentDeployments: [Deployment]
    /// How long until the next launch may happen, when a back-off delays it.
    public var delayRemaining: Duration?
    /// The current back-off delay (it grows with each failure); `nil` when there is none.
    public var delay: Duration?
    /// The last instance that failed.
    public var lastFailure: InstanceFailure?
    /// Why wanted instances were not placed on the last offers: an unsatisfied constraint, or
    /// no offer large enough (one line per offer).
    public var placementProblems: [String]
    /// The allocator's reasons this framework is not offered more, while instances wait.
    public var allocator: [AllocationExplanation]
    /// Whether the service is being removed.
    public var removing: Bool

    /// Whether every instance runs the target version and is healthy, with no deployment left.
    public var isStable: Bool {
        deployment == nil && counts.healthy == instances && instanceList.count == instances && counts.outdated == 0
    }

    init(run: ServiceRun, now: Timestamp, placementProblems: [String], allocator: [AllocationExplanation]) {
        id = run.spec.id
        version = run.version
        instances = run.spec.instances
        instanceList = run.instances
        totals = Totals(launched: run.nextIndex, failed: run.failedCount, stopped: run.stoppedCount)
        var counts = Counts()
        for instance in run.instances {
            if instance.killing {
                counts.killing += 1
            } else if instance.state == .running {
                counts.running += 1
                if instance.isHealthy { counts.healthy += 1 }
                if instance.hasHealthCheck && instance.healthy == false { counts.unhealthy += 1 }
                if instance.hasReadinessCheck && instance.ready != true { counts.notReady += 1 }
            } else {
                counts.launching += 1
            }
            if instance.version == run.version { counts.current += 1 } else { counts.outdated += 1 }
        }
        self.counts = counts
        deployment = run.deployment
        recentDeployments = run.history
        delay = run.delay
        if let until = run.delayedUntil, until > now, run.plan.launch > 0 {
            delayRemaining = .seconds(until.secondsSinceEpoch - now.secondsSinceEpoch)
        }
        lastFailure = run.lastFailure
        self.placementProblems = placementProblems
        self.allocator = allocator
        removing = run.removing
    }

    enum CodingKeys: String, CodingKey {
        case id, version, instances, counts, totals, instanceList, deployment, recentDeployments, delayRemainingSeconds, delaySeconds
        case lastFailure, placementProblems, allocator, removing
    }

    /// Decodes the JSON form.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        version = try c.decode(String.self, forKey: .version)
        instances = try c.decode(Int.self, forKey: .instances)
        counts = try c.decode(Counts.self, forKey: .counts)
        totals = try c.decode(Totals.self, forKey: .totals)
        instanceList = try c.decode([ServiceInstance].self, forKey: .instanceList)
        deployment = try c.decodeIfPresent(Deployment.self, forKey: .deployment)
        recentDeployments = try c.decode([Deployment].self, forKey: .recentDeployments)
        delayRemaining = try c.decodeIfPresent(Double.self, forKey: .delayRemainingSeconds).map { .seconds($0) }
        delay = try c.decodeIfPresent(Double.self, forKey: .delaySeconds).map { .seconds($0) }
        lastFailure = try c.decodeIfPresent(InstanceFailure.self, forKey: .lastFailure)
        placementProblems = try c.decode([String].self, forKey: .placementProblems)
        allocator = try c.decode([AllocationExplanation].self, forKey: .allocator)
        removing = try c.decode(Bool.self, forKey: .removing)
    }

    /// Encodes the JSON form (durations as seconds).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(version, forKey: .version)
        try c.encode(instances, forKey: .instances)
        try c.encode(counts, forKey: .counts)
        try c.encode(totals, forKey: .totals)
        try c.encode(instanceList, forKey: .instanceList)
        try c.encodeIfPresent(deployment, forKey: .deployment)
        try c.encode(recentDeployments, forKey: .recentDeployments)
        try c.encodeIfPresent(delayRemaining?.seconds, forKey: .delayRemainingSeconds)
        try c.encodeIfPresent(delay?.seconds, forKey: .delaySeconds)
        try c.encodeIfPresent(lastFailure, forKey: .lastFailure)
        try c.encode(placementProblems, forKey: .placementProblems)
        try c.encode(allocator, forKey: .allocator)
        try c.encode(removing, forKey: .removing)
    }
}
