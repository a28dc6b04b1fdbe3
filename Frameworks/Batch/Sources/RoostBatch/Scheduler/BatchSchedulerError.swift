public import RoostCore

/// Why the batch scheduler refused a request about a job (the spec itself is checked by
/// ``BatchSpecError``).
public struct BatchSchedulerError: CodedError, Hashable, Sendable {
    /// What kind of refusal this is.
    public var code: ErrorCode<BatchSchedulerError>
    /// What was wrong, naming the job and the fix.
    public var message: String

    /// Creates an error.
    public init(_ code: ErrorCode<BatchSchedulerError>, _ message: String) {
        self.code = code
        self.message = message
    }
}

extension ErrorCode where Domain == BatchSchedulerError {
    /// A job with that name already exists (running, or finished and kept for its TTL).
    public static var jobExists: Self { Self("jobExists") }
    /// No job has that name.
    public static var unknownJob: Self { Self("unknownJob") }
    /// ``BatchScheduler/delete(_:)`` was asked to delete a job that has, or may launch, tasks.
    public static var jobActive: Self { Self("jobActive") }
    /// A value given to ``BatchScheduler/scale(_:parallelism:)`` is out of range.
    public static var invalidValue: Self { Self("invalidValue") }
}
