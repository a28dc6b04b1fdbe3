public import RoostCore

/// Why the ``ServiceScheduler`` refused a request.
public struct ServiceSchedulerError: CodedError, Hashable, Sendable {
    /// What kind of problem this is.
    public var code: ErrorCode<ServiceSchedulerError>
    /// What is wrong and what to do instead.
    public var message: String

    /// Creates an error.
    public init(_ code: ErrorCode<ServiceSchedulerError>, _ message: String) {
        self.code = code
        self.message = message
    }
}

extension ErrorCode where Domain == ServiceSchedulerError {
    /// No service has that ID.
    public static var unknownService: Self { Self("unknownService") }
    /// The service has a deployment in progress; deploy with `force` to replace it.
    public static var deploymentInProgress: Self { Self("deploymentInProgress") }
    /// There is no previous version to roll back to.
    public static var noPreviousVersion: Self { Self("noPreviousVersion") }
    /// The service is being removed; wait for its instances to stop.
    public static var beingRemoved: Self { Self("beingRemoved") }
}
