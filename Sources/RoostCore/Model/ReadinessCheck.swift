/// How an agent learns that a task is ready to take traffic: Mesos' `CheckInfo` (a "check",
/// reported in `TaskStatus.check_status`), used as Marathon uses its readiness checks.
///
/// Unlike a ``HealthCheck``, a readiness check never kills the task: a failing check only
/// means the task is not ready (yet, or any more). The agent runs it beside the health check
/// and reports each change of verdict, the first included, as `TASK_RUNNING` with
/// ``TaskStatus/ready`` set and reason ``TaskStatus/Reason/taskCheckStatusUpdated``.
///
/// The kinds are the health check's (``HealthCheck/Kind``) and pass on the same terms: a
/// command that exits 0, an HTTP answer with a 2xx or 3xx status, an accepted TCP connection.
///
/// Defaults: `delay` 0 and `interval` 30 s, `timeout` 10 s, as Marathon's readiness checks
/// (`intervalSeconds` 30, `timeoutSeconds` 10; they start as soon as the task runs), since a
/// service framework is what reads the verdict. Mesos' `CheckInfo` defaults differ
/// (`delay_seconds` 15, `interval_seconds` 10, `timeout_seconds` 20).
///
/// JSON fields: `kind`, `delaySeconds`, `intervalSeconds`, `timeoutSeconds`; all but `kind`
/// optional.
public struct ReadinessCheck: Hashable, Sendable, Codable {
    /// What is checked.
    public var kind: HealthCheck.Kind
    /// Wait after the task starts before the first check. Default 0 (Marathon checks at once).
    public var delay: Duration
    /// Time between checks, counted from the end of the previous one. Default 30 s (Marathon
    /// `intervalSeconds`).
    public var interval: Duration
    /// How long one check may take before it counts as not ready. Default 10 s (Marathon
    /// `timeoutSeconds`).
    public var timeout: Duration

    /// Creates a readiness check with Marathon's defaults for anything not given.
    public init(
        _ kind: HealthCheck.Kind,
        delay: Duration = .zero,
        interval: Duration = .seconds(30),
        timeout: Duration = .seconds(10)
    ) {
        self.kind = kind
        self.delay = delay
        self.interval = interval
        self.timeout = timeout
    }

    /// Checks what ``TaskInfo/validate()`` checks: `field` names the check
    /// (`task[web-1].readinessCheck`); throws ``InputError`` naming the field under it.
    func validate(field: String) throws(InputError) {
        if delay < .zero { throw InputError(field: "\(field).delaySeconds", "must not be negative") }
        if interval <= .zero { throw InputError(field: "\(field).intervalSeconds", "must be positive") }
        if timeout <= .zero { throw InputError(field: "\(field).timeoutSeconds", "must be positive") }
        try kind.validate(field: "\(field).kind")
    }

    enum CodingKeys: String, CodingKey {
        case kind, delaySeconds, intervalSeconds, timeoutSeconds
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            try c.decode(HealthCheck.Kind.self, forKey: .kind),
            delay: try c.decodeSecondsIfPresent(forKey: .delaySeconds) ?? .zero,
            interval: try c.decodeSecondsIfPresent(forKey: .intervalSeconds) ?? .seconds(30),
            timeout: try c.decodeSecondsIfPresent(forKey: .timeoutSeconds) ?? .seconds(10))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        try c.encodeSeconds(delay, forKey: .delaySeconds)
        try c.encodeSeconds(interval, forKey: .intervalSeconds)
        try c.encodeSeconds(timeout, forKey: .timeoutSeconds)
    }
}
