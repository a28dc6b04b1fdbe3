public import RoostCore

/// A batch job: run a command until it has succeeded `completions` times, at most
/// `parallelism` copies at once, retrying failures with back-off, as a Kubernetes Job does.
///
/// The fields and their defaults follow Kubernetes' `batch/v1` Job (the anchor named on each
/// field), with Mesos' vocabulary for what Roost has and Kubernetes does not (resources in
/// Mesos' text form, placement constraints in Marathon's style). A job file is JSON or YAML:
///
/// ```yaml
/// name: thumbnails
/// command: ./make-thumbnails --shard "$ROOST_JOB_INDEX"
/// resources: cpus:0.5;mem:256
/// completions: 8
/// parallelism: 3
/// completionMode: indexed
/// backoffLimit: 4
/// activeDeadlineSeconds: 600
/// failureRules:
///   - action: failJob
///     onExitCodes: { operator: in, values: [42] }
/// constraints:
///   - { attribute: rack, operator: like, value: "r[12]" }
/// ttlSecondsAfterFinished: 3600
/// ```
///
/// JSON/YAML fields (only `name` and `command` are required): `name`, `command` (a string
/// run by `/bin/sh -c`, or an array run without a shell), `resources`, `environment`,
/// `completions`, `parallelism`, `completionMode`, `backoffLimit`, `backoffSeconds`,
/// `maxBackoffSeconds`, `activeDeadlineSeconds`, `failureRules`, `suspend`, `constraints`,
/// `ttlSecondsAfterFinished`, `killGracePeriodSeconds`. A field not in this list is an error,
/// so a typo never silently takes a default. See `docs/batch.md` for the reference.
public struct BatchJob: Hashable, Sendable {
    /// How the job counts completions (Kubernetes `completionMode`).
    public enum CompletionMode: String, Hashable, Sendable, Codable, CaseIterable {
        /// Any `completions` successful tasks complete the job (Kubernetes `NonIndexed`, the default).
        case nonIndexed
        /// Each task gets an index in `ROOST_JOB_INDEX`, 0 to `completions − 1`; the job is done
        /// when every index has succeeded once (Kubernetes `Indexed`).
        case indexed
    }

    /// The job's name: lowercase letters, digits and `-`, at most 63 characters (a Kubernetes
    /// object name). Task IDs, state store keys and status lines use it.
    public var name: String
    /// What each task runs. Required.
    public var command: Command
    /// What each task uses. Default `cpus:0.1;mem:128` (Chronos' defaults for a job).
    public var resources: Resources
    /// Environment variables for each task, besides `ROOST_JOB_NAME`, `ROOST_JOB_INDEX`
    /// (indexed jobs), `ROOST_TASK_ID` and `ROOST_SANDBOX`, which Roost sets.
    public var environment: [String: String]
    /// How many successful tasks complete the job. Default 1 (Kubernetes `completions`);
    /// 0 completes the job as soon as it starts.
    public var completions: Int
    /// How many tasks may run at once. Default 1 (Kubernetes `parallelism`); 0 pauses the job
    /// (running tasks are stopped, not counted as failures) until it is raised.
    public var parallelism: Int
    /// Whether tasks are interchangeable or each has an index. Default ``CompletionMode/nonIndexed``.
    public var completionMode: CompletionMode
    /// How many counted task failures the job tolerates; one more fails the job with reason
    /// ``JobFailureReason/backoffLimitExceeded``. Default 6 (Kubernetes `backoffLimit`).
    public var backoffLimit: Int
    /// The delay before the first retry after a counted failure; it doubles with each further
    /// failure. Default 10 s (Kubernetes' pod failure back-off).
    public var backoff: Duration
    /// The longest retry delay. Default 360 s (Kubernetes caps the back-off at six minutes).
    public var maxBackoff: Duration
    /// How long the job may be active, from its start (or its last resume), before it is failed
    /// with reason ``JobFailureReason/deadlineExceeded`` and its tasks are killed, whatever
    /// retries are left. Default none (Kubernetes `activeDeadlineSeconds`).
    public var activeDeadline: Duration?
    /// What a task failure means, by exit code; the first rule that matches decides, and a
    /// failure no rule matches is counted. Default none (Kubernetes `podFailurePolicy`).
    public var failureRules: [FailureRule]
    /// Whether the job starts suspended: no task runs until it is resumed. Default `false`
    /// (Kubernetes `suspend`).
    public var suspend: Bool
    /// Where tasks may run, by agent attributes; every constraint must hold, counting the
    /// job's active tasks as its placed instances (so `hostname:UNIQUE` means one active task
    /// per host). Default none.
    public var constraints: [PlacementConstraint]
    /// How long a finished (succeeded or failed) job's record is kept before it is deleted.
    /// Default none: kept until deleted (Kubernetes `ttlSecondsAfterFinished`).
    public var ttlAfterFinished: Duration?
    /// How long a kill waits between SIGTERM and SIGKILL. Default none: the agent's (3 s).
    public var killGracePeriod: Duration?

    /// Creates a job spec; every argument but `name` and `command` takes the documented default.
    public init(
        name: String,
        command: Command,
        resources: Resources = BatchJob.defaultResources,
        environment: [String: String] = [:],
        completions: Int = 1,
        parallelism: Int = 1,
        completionMode: CompletionMode = .nonIndexed,
        backoffLimit: Int = 6,
        backoff: Duration = .seconds(10),
        maxBackoff: Duration = .seconds(360),
        activeDeadline: Duration? = nil,
        failureRules: [FailureRule] = [],
        suspend: Bool = false,
        constraints: [PlacementConstraint] = [],
        ttlAfterFinished: Duration? = nil,
        killGracePeriod: Duration? = nil
    ) {
        self.name = name
        self.command = command
        self.resources = resources
        self.environment = environment
        self.completions = completions
        self.parallelism = parallelism
        self.completionMode = completionMode
        self.backoffLimit = backoffLimit
        self.backoff = backoff
        self.maxBackoff = maxBackoff
        self.activeDeadline = activeDeadline
        self.failureRules = failureRules
        self.suspend = suspend
        self.constraints = constraints
        self.ttlAfterFinished = ttlAfterFinished
        self.killGracePeriod = killGracePeriod
    }

    /// A task's resources when the spec gives none: `cpus:0.1;mem:128`, Chronos' defaults.
    public static let defaultResources: Resources = "cpus:0.1;mem:128"

    /// The largest `completions` and `parallelism` accepted: keeps a job's record (which lists
    /// the succeeded indexes) well inside a state store value (1 MiB, ZooKeeper's limit).
    public static let maxCompletions = 10_000

    /// The delay before the next retry after `failures` counted failures:
    /// `backoff × 2^(failures − 1)`, at most `maxBackoff`; zero before any failure.
    public func retryDelay(afterFailures failures: Int) -> Duration {
        guard failures > 0 else { return .zero }
        var delay = backoff
        for _ in 1..<failures {
            if delay >= maxBackoff { break }
            delay *= 2
        }
        return min(delay, maxBackoff)
    }
}

/// What a task failure means for its job: Kubernetes' pod failure policy actions.
///
/// JSON/YAML: `{"action": "failJob", "onExitCodes": {"operator": "in", "values": [42]}}`.
/// Actions and operators are also accepted in Kubernetes' spelling (`FailJob`, `In`).
public struct FailureRule: Hashable, Sendable {
    /// What to do when the rule matches.
    public enum Action: String, Hashable, Sendable, CaseIterable {
        /// Fail the whole job at once (reason ``JobFailureReason/failedByRule``), killing its other tasks.
        case failJob
        /// Retry the task without counting the failure against `backoffLimit`.
        case ignore
        /// Count the failure against `backoffLimit` and retry (what happens when no rule matches).
        case count
    }

    /// How the exit code is compared with ``values``.
    public enum Operator: String, Hashable, Sendable, CaseIterable {
        /// The exit code is one of the values.
        case `in`
        /// The exit code is none of the values (and not 0).
        case notIn
    }

    /// What to do.
    public var action: Action
    /// How to compare the exit code.
    public var `operator`: Operator
    /// The exit codes compared against; at least one, none of them 0 for `in`.
    public var values: [Int32]

    /// Creates a rule matching exit codes `operator` `values`.
    public init(action: Action, operator: Operator = .in, values: [Int32]) {
        self.action = action
        self.operator = `operator`
        self.values = values
    }

    /// Whether a task that exited with `exitCode` matches; a task without an exit code (killed
    /// by a signal, lost with its agent) matches no rule, so its failure is counted.
    public func matches(exitCode: Int32?) -> Bool {
        guard let exitCode, exitCode != 0 else { return false }
        switch self.operator {
        case .in: return values.contains(exitCode)
        case .notIn: return !values.contains(exitCode)
        }
    }
}
