import RoostCore

/// The result of running a ``WorkloadTrace`` under one or more policies: what
/// `roost simulate --format json` prints.
///
/// JSON: `{"policies": {"drf": {…}, "fifo": {…}}}`, each a ``WorkloadPolicyReport``. The
/// shape is stable: fields may be added, never renamed or removed.
public struct WorkloadReport: Sendable, Hashable, Codable {
    /// Reports keyed by policy name.
    public var policies: [String: WorkloadPolicyReport]

    /// A report of the given runs.
    public init(policies: [String: WorkloadPolicyReport]) {
        self.policies = policies
    }
}

/// One policy's run of a trace.
///
/// JSON fields: `policy`, `untilSeconds`, `frameworks` (keyed by framework id),
/// `utilization` (keyed by resource name), `wait`, `preemptions`, `timeline`.
public struct WorkloadPolicyReport: Sendable, Hashable, Codable {
    /// The policy's name (`drf`, `fifo`, `priority`, or a custom policy's).
    public var policy: String
    /// The virtual time the run ended at, in seconds.
    public var untilSeconds: Double
    /// Per framework, keyed by its trace id.
    public var frameworks: [String: WorkloadFrameworkReport]
    /// Per scalar resource of the cluster, keyed by name (`cpus`, `mem`, …).
    public var utilization: [String: WorkloadUtilization]
    /// Waits from submission to launch over every launch of every framework.
    public var wait: WorkloadWaitStatistics
    /// Tasks killed by the master to make room for another framework, across frameworks.
    public var preemptions: Int
    /// Utilization and dominant shares over time: one point per instant at which they
    /// changed, each holding until the next point (and the last until ``untilSeconds``).
    public var timeline: [WorkloadTimelinePoint]

    /// A report; see each property.
    public init(
        policy: String, untilSeconds: Double, frameworks: [String: WorkloadFrameworkReport], utilization: [String: WorkloadUtilization],
        wait: WorkloadWaitStatistics, preemptions: Int, timeline: [WorkloadTimelinePoint]
    ) {
        self.policy = policy
        self.untilSeconds = untilSeconds
        self.frameworks = frameworks
        self.utilization = utilization
        self.wait = wait
        self.preemptions = preemptions
        self.timeline = timeline
    }
}

/// What one framework got under one policy.
///
/// JSON fields: `tasksSubmitted`, `tasksLaunched`, `tasksFinished`, `tasksRunning`,
/// `tasksPending`, `tasksFailed`, `preemptions`, `allocated` (Mesos resource text),
/// `dominantShare`, `wait`, `offersReceived`, `offersDeclined`.
public struct WorkloadFrameworkReport: Sendable, Hashable, Codable {
    /// Tasks submitted by the end (a preempted task is not submitted again).
    public var tasksSubmitted: Int
    /// Launches, counting a preempted task's relaunch again.
    public var tasksLaunched: Int
    /// Tasks that reported `TASK_FINISHED`.
    public var tasksFinished: Int
    /// Tasks running at the end.
    public var tasksRunning: Int
    /// Tasks submitted (or preempted) and not launched by the end.
    public var tasksPending: Int
    /// Tasks that ended otherwise (failed, lost).
    public var tasksFailed: Int
    /// Its tasks that were killed to make room for another framework.
    public var preemptions: Int
    /// What it holds at the end, in Mesos text form (`cpus:3;mem:12288`).
    public var allocated: String
    /// The largest share of any scalar resource it holds at the end: held / cluster total.
    public var dominantShare: Double
    /// Its waits from submission to launch.
    public var wait: WorkloadWaitStatistics
    /// Offers it was made.
    public var offersReceived: Int
    /// Offers it declined whole (it could use nothing of them).
    public var offersDeclined: Int

    /// A framework's report; see each property.
    public init(
        tasksSubmitted: Int, tasksLaunched: Int, tasksFinished: Int, tasksRunning: Int, tasksPending: Int, tasksFailed: Int,
        preemptions: Int, allocated: String, dominantShare: Double, wait: WorkloadWaitStatistics, offersReceived: Int = 0, offersDeclined: Int = 0
    ) {
        self.tasksSubmitted = tasksSubmitted
        self.tasksLaunched = tasksLaunched
        self.tasksFinished = tasksFinished
        self.tasksRunning = tasksRunning
        self.tasksPending = tasksPending
        self.tasksFailed = tasksFailed
        self.preemptions = preemptions
        self.allocated = allocated
        self.dominantShare = dominantShare
        self.wait = wait
        self.offersReceived = offersReceived
        self.offersDeclined = offersDeclined
    }
}

/// Waits from submission (or preemption) to launch.
///
/// JSON fields: `launches`, `meanSeconds`, `p99Seconds`, `maxSeconds` (all 0 without launches).
public struct WorkloadWaitStatistics: Sendable, Hashable, Codable {
    /// How many launches the figures cover.
    public var launches: Int
    /// The mean wait.
    public var meanSeconds: Double
    /// The 99th percentile by nearest rank: the smallest wait at least 99 % of launches did not exceed.
    public var p99Seconds: Double
    /// The longest wait.
    public var maxSeconds: Double

    /// Statistics of `waits`.
    public init(waits: [Duration]) {
        let seconds = waits.map(\.seconds).sorted()
        launches = seconds.count
        guard !seconds.isEmpty else {
            meanSeconds = 0
            p99Seconds = 0
            maxSeconds = 0
            return
        }
        meanSeconds = seconds.reduce(0, +) / Double(seconds.count)
        // Nearest rank: the ⌈0.99·n⌉-th smallest.
        let rank = Int((0.99 * Double(seconds.count)).rounded(.up))
        p99Seconds = seconds[max(rank, 1) - 1]
        maxSeconds = seconds[seconds.count - 1]
    }
}

/// How much of one resource was used.
///
/// JSON fields: `mean` (time-weighted over the run, 0…1), `peak` (0…1), `total` (the cluster's amount).
public struct WorkloadUtilization: Sendable, Hashable, Codable {
    /// Used / total, averaged over the run's virtual time.
    public var mean: Double
    /// The highest used / total at any instant.
    public var peak: Double
    /// The cluster's total amount of the resource.
    public var total: Double

    /// A utilization figure; see each property.
    public init(mean: Double, peak: Double, total: Double) {
        self.mean = mean
        self.peak = peak
        self.total = total
    }
}

/// Utilization and dominant shares from one instant until the next point.
///
/// JSON fields: `timeSeconds`, `utilization` (resource name → 0…1), `dominantShares`
/// (framework id → 0…1).
public struct WorkloadTimelinePoint: Sendable, Hashable, Codable {
    /// When these values start to hold.
    public var timeSeconds: Double
    /// Used / total per scalar resource.
    public var utilization: [String: Double]
    /// Each framework's dominant share.
    public var dominantShares: [String: Double]

    /// A point; see each property.
    public init(timeSeconds: Double, utilization: [String: Double], dominantShares: [String: Double]) {
        self.timeSeconds = timeSeconds
        self.utilization = utilization
        self.dominantShares = dominantShares
    }
}

/// Builds the timeline and utilization from the frameworks' launch and end logs.
struct TimelineBuilder {
    let total: Resources
    let until: Duration

    /// The cluster's scalar resource names with a positive total.
    var names: [String] { total.scalarNames.filter { total.scalar(named: $0).doubleValue > 0 } }

    func share(of used: Resources, resource name: String) -> Double {
        let capacity = total.scalar(named: name).doubleValue
        return capacity > 0 ? used.scalar(named: name).doubleValue / capacity : 0
    }

    func dominantShare(of used: Resources) -> Double {
        names.reduce(0.0) { max($0, share(of: used, resource: $1)) }
    }

    /// Replays every framework's changes in time order; one point per distinct instant.
    func build(_ logs: [(id: String, log: TraceLog)]) -> (timeline: [WorkloadTimelinePoint], utilization: [String: WorkloadUtilization]) {
        var changes: [(time: Duration, framework: String, resources: Resources, isLaunch: Bool)] = []
        for (id, log) in logs {
            for change in log.changes { changes.append((change.time, id, change.resources, change.isLaunch)) }
        }
        // Stable: changes of one instant keep their order; only the state after the instant is recorded.
        changes = changes.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
        var used: [String: Resources] = Dictionary(uniqueKeysWithValues: logs.map { ($0.id, Resources()) })
        var timeline: [WorkloadTimelinePoint] = []
        func point(at time: Duration) -> WorkloadTimelinePoint {
            let clusterUsed = used.values.reduce(into: Resources()) { $0 += $1 }
            return WorkloadTimelinePoint(
                timeSeconds: time.seconds,
                utilization: Dictionary(uniqueKeysWithValues: names.map { ($0, share(of: clusterUsed, resource: $0)) }),
                dominantShares: used.mapValues(dominantShare(of:)))
        }
        timeline.append(point(at: .zero))
        var index = 0
        while index < changes.count {
            let time = changes[index].time
            while index < changes.count, changes[index].time == time {
                let change = changes[index]
                if change.isLaunch { used[change.framework]? += change.resources } else { used[change.framework]? -= change.resources }
                index += 1
            }
            let next = point(at: time)
            if timeline.last?.timeSeconds == next.timeSeconds { timeline[timeline.count - 1] = next } else { timeline.append(next) }
        }
        var utilization: [String: WorkloadUtilization] = [:]
        let end = until.seconds
        for name in names {
            var area = 0.0
            var peak = 0.0
            for (position, point) in timeline.enumerated() where point.timeSeconds < end {
                let next = position + 1 < timeline.count ? min(timeline[position + 1].timeSeconds, end) : end
                let value = point.utilization[name] ?? 0
                area += value * (next - point.timeSeconds)
                peak = max(peak, value)
            }
            utilization[name] = WorkloadUtilization(mean: end > 0 ? area / end : 0, peak: peak, total: total.scalar(named: name).doubleValue)
        }
        return (timeline, utilization)
    }
}
