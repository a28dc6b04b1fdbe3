import RoostCore
import RoostService

/// A long-running service: `instances` copies of `command`, kept healthy by RoostService's
/// `ServiceScheduler` (replaced with back-off when one fails, rolled out one step at a time
/// when the release changes), each told its release in `RELEASE`.
///
/// ``spec(release:)`` turns it into a `ServiceSpec`; ``{{name}}/scheduler(time:)`` makes the
/// scheduler that runs it. Edit the spec here: health and readiness checks, ports, placement
/// constraints, the upgrade strategy (see `docs/service.md` in the Roost checkout).
public struct {{name}}Service: Sendable, Hashable {
    /// The service's ID: lowercase letters, digits and `-`.
    public var id: String
    /// The shell command each instance runs; it is expected to run until killed.
    public var command: String
    /// How many instances run.
    public var instances: Int
    /// What each instance asks for.
    public var resources: Resources

    /// A service with the given shape.
    public init(id: String, command: String, instances: Int = 3, resources: Resources = "cpus:0.1;mem:32") {
        self.id = id
        self.command = command
        self.instances = instances
        self.resources = resources
    }

    /// The service spec for `release`: a new release is a new version, rolled out at most
    /// one instance above `instances` and never below all-but-one healthy.
    /// - Throws: `ServiceSpecError` naming the field when the service is malformed (a bad ID,
    ///   a negative number of instances).
    public func spec(release: String = "1") throws -> ServiceSpec {
        let spec = ServiceSpec(
            id: id,
            command: .shell(command),
            resources: resources,
            environment: ["RELEASE": release],
            instances: instances,
            // The instance is healthy while its sandbox holds `alive` (the command's first act).
            healthCheck: .health(.command(.shell("test -f alive")), delay: .zero, interval: .seconds(2), timeout: .seconds(2), gracePeriod: .seconds(10)),
            backoff: .seconds(1),
            upgradeStrategy: UpgradeStrategy(minimumHealthCapacity: 0.6, maximumOverCapacity: 0.34),
            killGracePeriod: .seconds(1)
        )
        try spec.validate()
        return spec
    }
}

/// The framework's entry points.
public enum {{name}} {
    /// The framework's name, as the master shows it.
    public static let frameworkName = "{{command}}"

    /// A service scheduler for this framework, taking its time from `time` (virtual time in tests).
    /// - Throws: when its state store cannot be read.
    public static func scheduler(time: FrameworkTime = .system) async throws -> ServiceScheduler {
        try await ServiceScheduler(configuration: .init(frameworkName: frameworkName, time: time, declineFilter: .seconds(1)))
    }
}
