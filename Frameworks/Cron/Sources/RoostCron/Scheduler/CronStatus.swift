import RoostBatch
public import RoostCore

/// Where a cron job is: its next run, its active runs, its last runs with their outcomes, and
/// the runs it missed with the reason, as Kubernetes' `CronJobStatus` plus the history it
/// keeps in Jobs.
///
/// JSON fields: `name`, `schedule`, `suspended`, `nextRunTime`, `lastScheduleTime`,
/// `lastSuccessfulTime`, `active`, `history`, `missed`. Times are seconds since the Unix epoch
/// on the scheduler's clock.
public struct CronJobStatus: Hashable, Sendable, Codable {
    /// The cron job's name.
    public var name: String
    /// The normalized expression and its zone, such as `*/15 * * * * (UTC)`.
    public var schedule: String
    /// Whether scheduling is suspended.
    public var suspended: Bool
    /// When the next run is due; `nil` while suspended or when the schedule never fires again.
    public var nextRunTime: Timestamp?
    /// The latest scheduled time the scheduler has acted on (started or recorded as missed).
    public var lastScheduleTime: Timestamp?
    /// When the latest successful run finished (Kubernetes `lastSuccessfulTime`).
    public var lastSuccessfulTime: Timestamp?
    /// Runs submitted and not yet finished, oldest first.
    public var active: [CronRun]
    /// Finished runs still kept (within the history limits), oldest first.
    public var history: [CronRun]
    /// The most recent missed runs (at most ``CronScheduler/Configuration/missedHistoryLimit``), oldest first.
    public var missed: [MissedRun]
}

/// One run of a cron job: the batch job it submitted and how it ended.
///
/// JSON fields: `jobName`, `scheduledTime`, `startedAt`, `finishedAt`, `outcome`, `reason`,
/// `message`, `manual`.
public struct CronRun: Hashable, Sendable, Codable {
    /// How a run ended.
    public enum Outcome: String, Hashable, Sendable, Codable {
        /// Its batch job succeeded.
        case succeeded = "Succeeded"
        /// Its batch job failed; ``CronRun/reason`` says why (`BackoffLimitExceeded`, …).
        case failed = "Failed"
        /// A later run replaced it (concurrency policy `Replace`); its tasks were killed.
        case replaced = "Replaced"
    }

    /// The run's batch job: `<cron job>-<scheduled Unix seconds>`.
    public var jobName: String
    /// The time it was scheduled for (for a manual run, when it was asked for).
    public var scheduledTime: Timestamp
    /// When its batch job was submitted.
    public var startedAt: Timestamp
    /// When it finished (the batch job's completion time, or when it was replaced).
    public var finishedAt: Timestamp?
    /// How it ended; `nil` while active.
    public var outcome: Outcome?
    /// Why its batch job failed, for ``Outcome/failed``.
    public var reason: String?
    /// The batch job's last condition message, or why it was replaced.
    public var message: String?
    /// Whether it was started by ``CronScheduler/trigger(_:)`` rather than the schedule.
    public var manual: Bool

    /// Whether it counts against `successfulJobsHistoryLimit` (else `failedJobsHistoryLimit`).
    var isSuccess: Bool { outcome == .succeeded }
}

/// Scheduled runs that did not start, and why.
///
/// JSON fields: `scheduledTime`, `count`, `reason`, `message`, `recordedAt`.
public struct MissedRun: Hashable, Sendable, Codable {
    /// The (latest) scheduled time missed.
    public var scheduledTime: Timestamp
    /// How many consecutive scheduled times this entry stands for (1 unless several were
    /// missed for the same reason at once, such as after a long downtime).
    public var count: Int
    /// Why they did not start.
    public var reason: MissReason
    /// A human-readable explanation naming the times.
    public var message: String
    /// When the scheduler recorded it.
    public var recordedAt: Timestamp
}

/// Why a scheduled run did not start: an extensible set compared with `==`.
///
/// JSON: the name as a string (`"StartingDeadlineExceeded"`).
public struct MissReason: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The reason's name.
    public let name: String

    /// A reason by name; prefer the static values.
    public init(_ name: String) { self.name = name }

    /// The name.
    public var description: String { name }

    /// Decodes the name.
    public init(from decoder: any Decoder) throws { name = try decoder.singleValueContainer().decode(String.self) }

    /// Encodes the name.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }

    /// The run could not start within `startingDeadlineSeconds` of its time (the scheduler
    /// was down, or the cron job suspended).
    public static let startingDeadlineExceeded = MissReason("StartingDeadlineExceeded")
    /// An earlier run was still active and the policy is `Forbid`.
    public static let concurrencyForbidden = MissReason("ConcurrencyForbidden")
    /// Under policy `Replace`, a later time of the same catch-up replaced it before it started.
    public static let replacedBeforeStart = MissReason("ReplacedBeforeStart")
    /// More than ``CronScheduler/Configuration/maxMissedReplays`` times were missed at once
    /// (Kubernetes' 100): they are not replayed one by one; only the latest is considered.
    public static let tooManyMissed = MissReason("TooManyMissed")
}
