public import RoostCore

/// Why the cron scheduler refused a request about a cron job (the spec itself is checked by
/// ``CronSpecError``).
public struct CronSchedulerError: CodedError, Hashable, Sendable {
    /// What kind of refusal this is.
    public var code: ErrorCode<CronSchedulerError>
    /// What was wrong, naming the cron job and the fix.
    public var message: String

    /// Creates an error.
    public init(_ code: ErrorCode<CronSchedulerError>, _ message: String) {
        self.code = code
        self.message = message
    }
}

extension ErrorCode where Domain == CronSchedulerError {
    /// A cron job with that name exists.
    public static var cronJobExists: Self { Self("cronJobExists") }
    /// No cron job has that name.
    public static var unknownCronJob: Self { Self("unknownCronJob") }
    /// ``CronScheduler/trigger(_:)`` on a `Forbid` cron job with an active run.
    public static var concurrencyForbidden: Self { Self("concurrencyForbidden") }
    /// ``CronScheduler/trigger(_:)`` in the same second as another run of the cron job.
    public static var runExists: Self { Self("runExists") }
    /// Another scheduler changed the cron job's stored state: this one stopped acting on it
    /// (it has been failed over; stop it).
    public static var fenced: Self { Self("fenced") }
}
