public import RoostBatch
public import RoostCore

/// A cron job: a ``BatchJob`` template run on a ``CronSchedule``, as a Kubernetes `CronJob`
/// (`batch/v1`), the anchor of every field and default below.
///
/// Each time the schedule fires, the ``CronScheduler`` submits a copy of ``jobTemplate``
/// named `<name>-<scheduled time in Unix seconds>` to its ``BatchScheduler``. A cron job
/// file is JSON or YAML:
///
/// ```yaml
/// name: nightly-report
/// schedule: "30 2 * * *"
/// timeZone: Europe/Berlin
/// concurrencyPolicy: Forbid
/// startingDeadlineSeconds: 600
/// jobTemplate:
///   command: ./report --date "$(date +%F)"
///   resources: cpus:0.5;mem:256
///   backoffLimit: 2
/// ```
///
/// JSON/YAML fields (`name`, `schedule` and `jobTemplate` are required): `name`, `schedule`,
/// `timeZone`, `jobTemplate` (a ``BatchJob`` spec without `name`), `concurrencyPolicy`,
/// `startingDeadlineSeconds`, `successfulJobsHistoryLimit`, `failedJobsHistoryLimit`,
/// `suspend`. An unknown field is an error naming it. See `docs/cron.md`.
public struct CronJob: Hashable, Sendable {
    /// What to do when a run is due while an earlier run is still active (Kubernetes
    /// `concurrencyPolicy`).
    public enum ConcurrencyPolicy: String, Hashable, Sendable, Codable, CaseIterable {
        /// Start the new run beside the active ones (the default, as Kubernetes).
        case allow = "Allow"
        /// Skip the new run, recording it as missed with reason ``MissReason/concurrencyForbidden``.
        case forbid = "Forbid"
        /// Kill the active runs (recorded with outcome ``CronRun/Outcome/replaced``), then start the new one.
        case replace = "Replace"
    }

    /// The cron job's name: lowercase letters, digits and `-`, at most ``maxNameLength``
    /// characters, so its runs' names (`<name>-<Unix seconds>`) are valid batch job names.
    public var name: String
    /// When runs are due: a five-field cron expression in a time zone (Kubernetes `schedule`
    /// and `timeZone`; the zone defaults to UTC).
    public var schedule: CronSchedule
    /// The batch job each run submits; its `name` is replaced by the run's name. It may not be
    /// suspended or have `ttlSecondsAfterFinished`: the cron job's ``suspend`` and history
    /// limits decide those.
    public var jobTemplate: BatchJob
    /// What to do when a run is due while another is active. Default ``ConcurrencyPolicy/allow``
    /// (Kubernetes).
    public var concurrencyPolicy: ConcurrencyPolicy
    /// How late a run may start after its scheduled time (after downtime, or while suspended);
    /// a run that cannot start within it is skipped and recorded as missed with reason
    /// ``MissReason/startingDeadlineExceeded``. Default none: a late run always starts
    /// (Kubernetes `startingDeadlineSeconds`).
    public var startingDeadline: Duration?
    /// How many succeeded runs are kept (status and batch record); older ones are deleted.
    /// Default 3 (Kubernetes `successfulJobsHistoryLimit`).
    public var successfulJobsHistoryLimit: Int
    /// How many failed or replaced runs are kept. Default 1 (Kubernetes `failedJobsHistoryLimit`).
    public var failedJobsHistoryLimit: Int
    /// Whether scheduling is suspended: no run starts, active runs go on. Times that pass while
    /// suspended count as missed, as in Kubernetes: on resume, those still within
    /// ``startingDeadline`` (all of them without one) are started. Default `false`.
    public var suspend: Bool

    /// The longest name accepted: 52 characters, as Kubernetes, leaving room for `-<Unix seconds>`.
    public static let maxNameLength = 52

    /// Creates a cron job; every argument but `name`, `schedule` and `jobTemplate` takes the
    /// documented default. The template's name is set to `name`.
    public init(
        name: String,
        schedule: CronSchedule,
        jobTemplate: BatchJob,
        concurrencyPolicy: ConcurrencyPolicy = .allow,
        startingDeadline: Duration? = nil,
        successfulJobsHistoryLimit: Int = 3,
        failedJobsHistoryLimit: Int = 1,
        suspend: Bool = false
    ) {
        self.name = name
        self.schedule = schedule
        var template = jobTemplate
        template.name = name
        self.jobTemplate = template
        self.concurrencyPolicy = concurrencyPolicy
        self.startingDeadline = startingDeadline
        self.successfulJobsHistoryLimit = successfulJobsHistoryLimit
        self.failedJobsHistoryLimit = failedJobsHistoryLimit
        self.suspend = suspend
    }

    /// The name of the run scheduled at `time`: `<name>-<Unix seconds>` (such as `report-1800000000`).
    public func runName(at time: Timestamp) -> String {
        "\(name)-\(Int64(time.secondsSinceEpoch.rounded(.down)))"
    }

    /// The batch job of the run scheduled at `time`: the template under ``runName(at:)``.
    public func runJob(at time: Timestamp) -> BatchJob {
        var job = jobTemplate
        job.name = runName(at: time)
        return job
    }

    /// Checks every field, so a bad cron job is refused before anything runs.
    ///
    /// ``CronScheduler/add(_:)`` calls it, as does decoding.
    /// - Throws: ``CronSpecError`` naming the first bad field.
    public func validate() throws(CronSpecError) {
        let allowed = name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
        guard !name.isEmpty, name.count <= Self.maxNameLength, allowed, name.first != "-", name.last != "-" else {
            throw .invalid("cronJob.name", "'\(name)' must be 1–\(Self.maxNameLength) lowercase letters, digits and '-', starting and ending with a letter or digit")
        }
        if jobTemplate.suspend {
            throw .invalid("cronJob.jobTemplate.suspend", "must be false; suspend the cron job itself with its suspend field")
        }
        if jobTemplate.ttlAfterFinished != nil {
            throw .invalid("cronJob.jobTemplate.ttlSecondsAfterFinished", "not allowed; successfulJobsHistoryLimit and failedJobsHistoryLimit decide how long runs are kept")
        }
        do {
            try runJob(at: Timestamp(secondsSinceEpoch: 0)).validate()
        } catch {
            throw CronSpecError(.invalidValue, "cron job '\(name)': jobTemplate: \(error.message)")
        }
        if let startingDeadline, startingDeadline <= .zero {
            throw .invalid("cronJob.startingDeadlineSeconds", "must be > 0, got \(startingDeadline.seconds); leave it out for no deadline")
        }
        if successfulJobsHistoryLimit < 0 {
            throw .invalid("cronJob.successfulJobsHistoryLimit", "must be ≥ 0, got \(successfulJobsHistoryLimit)")
        }
        if failedJobsHistoryLimit < 0 {
            throw .invalid("cronJob.failedJobsHistoryLimit", "must be ≥ 0, got \(failedJobsHistoryLimit)")
        }
    }
}

/// Why a ``CronJob`` spec was rejected: a code and a message naming the field and the fix,
/// such as `cronJob.concurrencyPolicy: 'Sometimes' is not one of Allow, Forbid, Replace`.
public struct CronSpecError: CodedError, Hashable, Sendable {
    /// What kind of problem this is.
    public var code: ErrorCode<CronSpecError>
    /// What is wrong, naming the field and what would be accepted.
    public var message: String

    /// Creates an error.
    public init(_ code: ErrorCode<CronSpecError>, _ message: String) {
        self.code = code
        self.message = message
    }

    static func invalid(_ field: String, _ message: String) -> CronSpecError {
        CronSpecError(.invalidValue, "\(field): \(message)")
    }
}

extension CronSpecError: SpecReadingError {
    /// An ``ErrorCode/invalidValue`` error: `field: message`.
    public static func invalidField(_ field: String, _ message: String) -> CronSpecError {
        .invalid(field, message)
    }

    /// A ``ErrorCode/missingField`` error: `field: required; for example …`.
    public static func missingField(_ field: String, example: String) -> CronSpecError {
        CronSpecError(.missingField, "\(field): required; for example \(example)")
    }

    /// An ``ErrorCode/unknownField`` error.
    public static func unknownField(_ message: String) -> CronSpecError {
        CronSpecError(.unknownField, message)
    }
}

extension ErrorCode where Domain == CronSpecError {
    /// A field has a value outside what it accepts (including a bad cron expression or zone).
    public static var invalidValue: Self { Self("invalidValue") }
    /// A required field (`name`, `schedule`, `jobTemplate`) is absent.
    public static var missingField: Self { Self("missingField") }
    /// The spec has a field no version of the spec defines, usually a typo.
    public static var unknownField: Self { Self("unknownField") }
    /// The file cannot be read, or is not valid JSON or YAML.
    public static var unreadable: Self { Self("unreadable") }
}
