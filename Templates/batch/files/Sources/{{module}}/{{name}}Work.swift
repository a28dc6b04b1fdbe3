import RoostBatch
import RoostCore

/// A piece of sharded work: `command` run once per shard, each task told its shard in
/// `SHARD` (0 ..< `shards`), `parallelism` shards at once, a failed shard retried with
/// back-off while fewer than `retries` failures have happened in all.
///
/// ``batchJob()`` turns it into a RoostBatch ``BatchJob`` (indexed completions), which a
/// `BatchScheduler` runs to success or failure; ``{{name}}/scheduler(time:)`` makes that scheduler.
public struct {{name}}Work: Sendable, Hashable {
    /// The job's name: lowercase letters, digits and `-`.
    public var name: String
    /// The shell command each shard runs; it reads its shard from `$SHARD`.
    public var command: String
    /// How many shards there are.
    public var shards: Int
    /// How many shards run at once.
    public var parallelism: Int
    /// How many failed tasks the job tolerates before it fails.
    public var retries: Int
    /// What each shard's task asks for.
    public var resources: Resources

    /// Work with the given shape.
    public init(name: String, command: String, shards: Int, parallelism: Int = 2, retries: Int = 2, resources: Resources = "cpus:0.1;mem:32") {
        self.name = name
        self.command = command
        self.shards = shards
        self.parallelism = parallelism
        self.retries = retries
        self.resources = resources
    }

    /// The batch job that does the work: one indexed completion per shard.
    /// - Throws: `BatchSpecError` naming the field when the work is malformed (a bad name, no shards).
    public func batchJob() throws -> BatchJob {
        let job = BatchJob(
            name: name,
            command: .shell("SHARD=$ROOST_JOB_INDEX; " + command),
            resources: resources,
            completions: shards,
            parallelism: parallelism,
            completionMode: .indexed,
            backoffLimit: retries,
            backoff: .seconds(1),
            maxBackoff: .seconds(10)
        )
        try job.validate()
        return job
    }
}

/// The framework's entry points.
public enum {{name}} {
    /// The framework's name, as the master shows it.
    public static let frameworkName = "{{command}}"

    /// A batch scheduler for this framework, taking its time from `time` (virtual time in tests).
    /// - Throws: when its state store cannot be read.
    public static func scheduler(time: FrameworkTime = .system) async throws -> BatchScheduler {
        try await BatchScheduler(configuration: .init(frameworkName: frameworkName, time: time, declineFilter: .seconds(1)))
    }
}
