import RoostBatch
import RoostCore
import RoostCron

/// A command to run on a schedule: `schedule` is a five-field cron expression read in UTC
/// (`*/5 * * * *`: every five minutes); each time it fires, `command` runs once as a batch job,
/// retried up to `retries` times, unless `overlap` says a run still going blocks the next.
///
/// ``cronJob()`` turns it into a RoostCron ``CronJob``; ``{{name}}/scheduler(time:)`` makes the
/// `CronScheduler` that runs such jobs.
public struct {{name}}Task: Sendable, Hashable {
    /// The task's name: lowercase letters, digits and `-`.
    public var name: String
    /// When it runs: a five-field cron expression, in UTC.
    public var schedule: String
    /// The shell command each run executes.
    public var command: String
    /// Whether a run may start while the previous one is still going (`false`: it is skipped).
    public var overlap: Bool
    /// How many failed attempts a run tolerates before it counts as failed.
    public var retries: Int
    /// What each run's task asks for.
    public var resources: Resources

    /// A scheduled task.
    public init(name: String, schedule: String, command: String, overlap: Bool = false, retries: Int = 1, resources: Resources = "cpus:0.1;mem:32") {
        self.name = name
        self.schedule = schedule
        self.command = command
        self.overlap = overlap
        self.retries = retries
        self.resources = resources
    }

    /// The cron job that runs the task.
    /// - Throws: `CronError` for a bad expression, `CronSpecError` or `BatchSpecError` naming a bad field.
    public func cronJob() throws -> CronJob {
        let job = CronJob(
            name: name,
            schedule: try CronSchedule(parsing: schedule),
            jobTemplate: BatchJob(name: name, command: .shell(command), resources: resources, backoffLimit: retries, backoff: .seconds(1)),
            concurrencyPolicy: overlap ? .allow : .forbid,
            startingDeadline: .seconds(30)
        )
        try job.validate()
        return job
    }
}

/// The framework's entry points.
public enum {{name}} {
    /// The framework's name, as the master shows it.
    public static let frameworkName = "{{command}}"

    /// A cron scheduler for this framework, taking its time from `time` (virtual time in tests).
    /// - Throws: when its state store cannot be read.
    public static func scheduler(time: FrameworkTime = .system) async throws -> CronScheduler {
        try await CronScheduler(configuration: .init(frameworkName: frameworkName, time: time, declineFilter: .seconds(1)))
    }
}
