/// What a framework asks an agent to run: one task, its resources and how to start it.
///
/// JSON fields: `id`, `name`, `agentID`, `resources`, `command`, `environment`,
/// `workingDirectory`, `executor`, `labels`, `healthCheck`, `readinessCheck`,
/// `killGracePeriodSeconds`. When decoding, only `id` and `resources` are
/// required; `readinessCheck` is left out of the JSON when `nil`.
public struct TaskInfo: Hashable, Sendable, Codable {
    /// The task's ID, unique within its framework.
    public var id: TaskID
    /// A human-readable name (defaults to the ID).
    public var name: String
    /// The agent to run on. `nil` until launched: ``SchedulerDriver/launch(_:on:filters:)`` fills
    /// it in from the offer.
    public var agentID: AgentID?
    /// What the task may use; the agent accounts for it and never over-commits.
    public var resources: Resources
    /// The command the default ``CommandExecutor`` runs. Exactly one of `command` and
    /// `executor` must be set.
    public var command: Command?
    /// Environment variables added to the agent's (the agent also sets `ROOST_TASK_ID`,
    /// `ROOST_SANDBOX` and the task's ports).
    public var environment: [String: String]
    /// Where the command starts, relative to the task's sandbox; `nil` is the sandbox itself.
    public var workingDirectory: String?
    /// A custom executor registered with the agent to run this task instead of a command.
    public var executor: ExecutorInfo?
    /// Free-form key/value labels.
    public var labels: [String: String]
    /// How the agent checks the task's health, if at all.
    public var healthCheck: HealthCheck?
    /// How the agent learns that the task is ready to take traffic, if at all; unlike the
    /// health check it never kills the task (see ``ReadinessCheck``). Runs only for tasks of
    /// the ``CommandExecutor``.
    public var readinessCheck: ReadinessCheck?
    /// How long a kill waits between SIGTERM and SIGKILL; `nil` uses the agent's default
    /// (3 s, as Mesos' command executor).
    public var killGracePeriod: Duration?

    /// Creates a task description.
    public init(
        id: TaskID,
        name: String? = nil,
        agentID: AgentID? = nil,
        resources: Resources,
        command: Command? = nil,
        environment: [String: String] = [:],
        workingDirectory: String? = nil,
        executor: ExecutorInfo? = nil,
        labels: [String: String] = [:],
        healthCheck: HealthCheck? = nil,
        readinessCheck: ReadinessCheck? = nil,
        killGracePeriod: Duration? = nil
    ) {
        self.id = id
        self.name = name ?? id.value
        self.agentID = agentID
        self.resources = resources
        self.command = command
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.executor = executor
        self.labels = labels
        self.healthCheck = healthCheck
        self.readinessCheck = readinessCheck
        self.killGracePeriod = killGracePeriod
    }

    /// Checks what the master checks before launching.
    /// - Throws: ``InputError`` naming the field, e.g. `tasks[web-1].command`.
    public func validate() throws(InputError) {
        let field = "task[\(id.value)]"
        _ = try TaskID.validated(id.value)
        switch (command, executor) {
        case (nil, nil):
            throw InputError(field: "\(field).command", "a task needs a command or an executor")
        case (.some, .some):
            throw InputError(field: "\(field).command", "give either a command or an executor, not both")
        case (.some(let command), nil):
            try command.validate(field: "\(field).command")
        case (nil, .some):
            break
        }
        if resources.isEmpty {
            throw InputError(field: "\(field).resources", "a task must use some resources (for example cpus:0.1;mem:32)")
        }
        if let directory = workingDirectory, directory.hasPrefix("/") || directory.split(separator: "/").contains("..") {
            throw InputError(field: "\(field).workingDirectory", "'\(directory)' must stay inside the sandbox: a relative path without '..'")
        }
        if let badKey = environment.keys.first(where: { $0.isEmpty || $0.contains("=") || $0.contains("\0") }) {
            throw InputError(field: "\(field).environment", "'\(badKey)' is not a valid variable name")
        }
        try healthCheck?.validate(field: "\(field).healthCheck")
        try readinessCheck?.validate(field: "\(field).readinessCheck")
    }

    enum CodingKeys: String, CodingKey {
        case id, name, agentID, resources, command, environment, workingDirectory, executor, labels, healthCheck, readinessCheck
        case killGracePeriodSeconds
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(TaskID.self, forKey: .id)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? id.value
        agentID = try c.decodeIfPresent(AgentID.self, forKey: .agentID)
        resources = try c.decode(Resources.self, forKey: .resources)
        command = try c.decodeIfPresent(Command.self, forKey: .command)
        environment = try c.decodeIfPresent([String: String].self, forKey: .environment) ?? [:]
        workingDirectory = try c.decodeIfPresent(String.self, forKey: .workingDirectory)
        executor = try c.decodeIfPresent(ExecutorInfo.self, forKey: .executor)
        labels = try c.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
        healthCheck = try c.decodeIfPresent(HealthCheck.self, forKey: .healthCheck)
        readinessCheck = try c.decodeIfPresent(ReadinessCheck.self, forKey: .readinessCheck)
        killGracePeriod = try c.decodeSecondsIfPresent(forKey: .killGracePeriodSeconds)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encodeIfPresent(agentID, forKey: .agentID)
        try c.encode(resources, forKey: .resources)
        try c.encodeIfPresent(command, forKey: .command)
        try c.encode(environment, forKey: .environment)
        try c.encodeIfPresent(workingDirectory, forKey: .workingDirectory)
        try c.encodeIfPresent(executor, forKey: .executor)
        try c.encode(labels, forKey: .labels)
        try c.encodeIfPresent(healthCheck, forKey: .healthCheck)
        try c.encodeIfPresent(readinessCheck, forKey: .readinessCheck)
        try c.encodeSecondsIfPresent(killGracePeriod, forKey: .killGracePeriodSeconds)
    }
}

/// How to start a task's process.
///
/// JSON: `{"shell": "echo hi"}` or `{"argv": ["/bin/echo", "hi"]}`.
public enum Command: Hashable, Sendable, Codable, CustomStringConvertible {
    /// A command line run by `/bin/sh -c`.
    case shell(String)
    /// A program and its arguments, run without a shell; the first element is looked up in `PATH`.
    case argv([String])

    /// The program and arguments to execute.
    public var arguments: [String] {
        switch self {
        case .shell(let line): ["/bin/sh", "-c", line]
        case .argv(let argv): argv
        }
    }

    public var description: String {
        switch self {
        case .shell(let line): line
        case .argv(let argv): argv.joined(separator: " ")
        }
    }

    /// Checks that the command runs something: a non-blank shell line, or a list starting with a program.
    /// - Throws: ``InputError`` naming `field.shell` or `field.argv`.
    public func validate(field: String) throws(InputError) {
        switch self {
        case .shell(let line) where line.allSatisfy(\.isWhitespace):
            throw InputError(field: "\(field).shell", "must not be empty")
        case .argv(let argv) where argv.first?.isEmpty ?? true:
            throw InputError(field: "\(field).argv", "must name a program as its first element")
        default:
            break
        }
    }

    enum CodingKeys: String, CodingKey { case shell, argv }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch (try c.decodeIfPresent(String.self, forKey: .shell), try c.decodeIfPresent([String].self, forKey: .argv)) {
        case (let line?, nil): self = .shell(line)
        case (nil, let argv?): self = .argv(argv)
        default:
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "a command has exactly one of 'shell' (a string) or 'argv' (an array of strings)"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .shell(let line): try c.encode(line, forKey: .shell)
        case .argv(let argv): try c.encode(argv, forKey: .argv)
        }
    }
}

/// A custom executor for a task: the name of an ``Executor`` registered with the agent.
///
/// JSON fields: `id`, `name`, `resources`.
public struct ExecutorInfo: Hashable, Sendable, Codable {
    /// The executor instance's ID, chosen by the framework; tasks with the same ID share one instance.
    public var id: ExecutorID
    /// The name the executor implementation was registered under on the agent.
    public var name: String
    /// Resources the executor itself uses beyond its tasks'.
    public var resources: Resources

    /// Creates an executor description.
    public init(id: ExecutorID, name: String, resources: Resources = Resources()) {
        self.id = id
        self.name = name
        self.resources = resources
    }
}

/// How an agent checks a task's health (Mesos' `HealthCheck`, with its defaults).
///
/// JSON fields: `kind`, `delaySeconds`, `intervalSeconds`, `timeoutSeconds`,
/// `consecutiveFailures`, `gracePeriodSeconds`; all but `kind` optional.
public struct HealthCheck: Hashable, Sendable, Codable {
    /// What is checked.
    public enum Kind: Hashable, Sendable, Codable {
        /// A command run in the task's sandbox; exit 0 is healthy.
        case command(Command)
        /// An HTTP GET of `path` on the task's `port`; 2xx and 3xx are healthy.
        case http(port: Int, path: String)
        /// A TCP connection to the task's `port`; connecting is healthy.
        case tcp(port: Int)

        /// Shared by ``HealthCheck`` and ``ReadinessCheck``: `field` names the kind (`….kind`).
        func validate(field: String) throws(InputError) {
            switch self {
            case .command(let command): try command.validate(field: "\(field).command")
            case .http(let port, _), .tcp(let port):
                if !(1...65535).contains(port) {
                    throw InputError(field: "\(field).port", "\(port) is not a port number (1-65535)")
                }
            }
        }

        private enum CodingKeys: String, CodingKey { case command, http, tcp }
        private enum EndpointKeys: String, CodingKey { case port, path }

        // JSON: {"command": {"shell": …}}, {"http": {"port": 8080, "path": "/health"}}, {"tcp": {"port": 8080}}.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            if let command = try c.decodeIfPresent(Command.self, forKey: .command) {
                self = .command(command)
            } else if c.contains(.http) {
                let http = try c.nestedContainer(keyedBy: EndpointKeys.self, forKey: .http)
                self = .http(port: try http.decode(Int.self, forKey: .port), path: try http.decodeIfPresent(String.self, forKey: .path) ?? "/")
            } else if c.contains(.tcp) {
                let tcp = try c.nestedContainer(keyedBy: EndpointKeys.self, forKey: .tcp)
                self = .tcp(port: try tcp.decode(Int.self, forKey: .port))
            } else {
                throw DecodingError.dataCorrupted(.init(
                    codingPath: decoder.codingPath,
                    debugDescription: "a health check kind is one of 'command', 'http' or 'tcp'"))
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            switch self {
            case .command(let command):
                try c.encode(command, forKey: .command)
            case .http(let port, let path):
                var http = c.nestedContainer(keyedBy: EndpointKeys.self, forKey: .http)
                try http.encode(port, forKey: .port)
                try http.encode(path, forKey: .path)
            case .tcp(let port):
                var tcp = c.nestedContainer(keyedBy: EndpointKeys.self, forKey: .tcp)
                try tcp.encode(port, forKey: .port)
            }
        }
    }

    /// What is checked.
    public var kind: Kind
    /// Wait before the first check. Default 15 s (Mesos `delay_seconds`).
    public var delay: Duration
    /// Time between checks. Default 10 s (Mesos `interval_seconds`).
    public var interval: Duration
    /// How long one check may take before it counts as failed. Default 20 s (Mesos `timeout_seconds`).
    public var timeout: Duration
    /// Failures in a row after which the task is killed. Default 3 (Mesos `consecutive_failures`).
    public var consecutiveFailures: Int
    /// Failures during this time after the task starts are not counted. Default 10 s (Mesos `grace_period_seconds`).
    public var gracePeriod: Duration

    /// Creates a health check with Mesos' defaults for anything not given.
    public init(
        _ kind: Kind,
        delay: Duration = .seconds(15),
        interval: Duration = .seconds(10),
        timeout: Duration = .seconds(20),
        consecutiveFailures: Int = 3,
        gracePeriod: Duration = .seconds(10)
    ) {
        self.kind = kind
        self.delay = delay
        self.interval = interval
        self.timeout = timeout
        self.consecutiveFailures = consecutiveFailures
        self.gracePeriod = gracePeriod
    }

    func validate(field: String) throws(InputError) {
        if interval <= .zero { throw InputError(field: "\(field).intervalSeconds", "must be positive") }
        if timeout <= .zero { throw InputError(field: "\(field).timeoutSeconds", "must be positive") }
        if consecutiveFailures < 1 {
            throw InputError(field: "\(field).consecutiveFailures", "\(consecutiveFailures) must be at least 1")
        }
        try kind.validate(field: "\(field).kind")
    }

    enum CodingKeys: String, CodingKey {
        case kind, delaySeconds, intervalSeconds, timeoutSeconds, consecutiveFailures, gracePeriodSeconds
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            try c.decode(Kind.self, forKey: .kind),
            delay: try c.decodeSecondsIfPresent(forKey: .delaySeconds) ?? .seconds(15),
            interval: try c.decodeSecondsIfPresent(forKey: .intervalSeconds) ?? .seconds(10),
            timeout: try c.decodeSecondsIfPresent(forKey: .timeoutSeconds) ?? .seconds(20),
            consecutiveFailures: try c.decodeIfPresent(Int.self, forKey: .consecutiveFailures) ?? 3,
            gracePeriod: try c.decodeSecondsIfPresent(forKey: .gracePeriodSeconds) ?? .seconds(10))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        try c.encodeSeconds(delay, forKey: .delaySeconds)
        try c.encodeSeconds(interval, forKey: .intervalSeconds)
        try c.encodeSeconds(timeout, forKey: .timeoutSeconds)
        try c.encode(consecutiveFailures, forKey: .consecutiveFailures)
        try c.encodeSeconds(gracePeriod, forKey: .gracePeriodSeconds)
    }
}
