public import RoostCore

/// A change being rolled out to a service, or one that ended: what started it, how it ended,
/// and its ``DeploymentProgress`` (Marathon's deployment, shown in ``ServiceStatus``).
///
/// JSON fields: `id`, `kind`, `force`, `finishedAt`, `outcome`, `progress`.
public struct Deployment: Hashable, Sendable, Codable {
    /// What started a deployment.
    public enum Kind: String, Hashable, Sendable, Codable {
        /// The service was deployed for the first time.
        case start
        /// Only `instances` changed.
        case scale
        /// The version changed: a rolling upgrade.
        case upgrade
        /// The previous version was deployed again.
        case rollback
        /// The service is being removed: every instance is stopped.
        case remove
    }

    /// How a finished deployment ended.
    public enum Outcome: Hashable, Sendable, Codable {
        /// Every instance runs the target version and is healthy (or, for a removal, none is left).
        case succeeded
        /// A newer deployment (with `force`) took its place.
        case superseded(by: String)
    }

    /// The deployment's ID, unique within the scheduler.
    public var id: String
    /// What started it.
    public var kind: Kind
    /// Whether it was started with `force` (replacing one in progress).
    public var force: Bool
    /// When it ended; `nil` while in progress.
    public var finishedAt: Timestamp?
    /// How it ended; `nil` while in progress.
    public var outcome: Outcome?
    /// Its target, counts, summary and the steps taken (what was launched and stopped).
    public var progress: DeploymentProgress

    /// The target ``ServiceSpec/version``.
    public var version: String { progress.targetVersion }
    /// The target number of instances.
    public var instances: Int { progress.instances }
    /// Where it stands, in a sentence.
    public var summary: String { progress.summary }

    init(id: String, kind: Kind, version: String, instances: Int, force: Bool, startedAt: Timestamp) {
        self.id = id
        self.kind = kind
        self.force = force
        progress = DeploymentProgress(targetVersion: version, instances: instances, startedAt: startedAt)
    }

    mutating func finish(at time: Timestamp, outcome: Outcome) {
        finishedAt = time
        self.outcome = outcome
    }
}
