/// How a framework describes itself when it subscribes.
///
/// JSON fields: `id`, `name`, `user`, `roles`, `priority`,
/// `failoverTimeoutSeconds`, `principal`, `checkpoint`, `capabilities`,
/// `hostname`, `labels`. Only `name` is required when decoding; the rest take
/// the defaults below.
public struct FrameworkInfo: Hashable, Sendable, Codable {
    /// The framework's ID: `nil` on first subscription; set to the assigned ID to fail over.
    public var id: FrameworkID?
    /// A human-readable name, shown in the state snapshot and the CLI.
    public var name: String
    /// The OS user tasks run as by default (empty: the agent's user).
    public var user: String
    /// The roles the framework receives resources under. Default `["*"]`.
    public var roles: [Role]
    /// Priority for the priority allocator: higher is more important. Default 0.
    public var priority: Int
    /// How long the master keeps the framework's tasks after its scheduler disconnects.
    ///
    /// Default 0, as Mesos' `failover_timeout`: tasks are killed as soon as the scheduler
    /// goes away. Long-running frameworks set it (Marathon uses one week).
    public var failoverTimeout: Duration
    /// The principal the framework authenticates as, if any.
    public var principal: String?
    /// Whether agents checkpoint the framework's tasks so they survive an agent restart.
    public var checkpoint: Bool
    /// Optional protocol features the framework understands.
    public var capabilities: Set<FrameworkCapability>
    /// The host the scheduler runs on, for display.
    public var hostname: String?
    /// Free-form key/value labels.
    public var labels: [String: String]

    /// Creates a framework description; only `name` is required.
    public init(
        id: FrameworkID? = nil,
        name: String,
        user: String = "",
        roles: [Role] = [.any],
        priority: Int = 0,
        failoverTimeout: Duration = .zero,
        principal: String? = nil,
        checkpoint: Bool = false,
        capabilities: Set<FrameworkCapability> = [],
        hostname: String? = nil,
        labels: [String: String] = [:]
    ) {
        self.id = id
        self.name = name
        self.user = user
        self.roles = roles
        self.priority = priority
        self.failoverTimeout = failoverTimeout
        self.principal = principal
        self.checkpoint = checkpoint
        self.capabilities = capabilities
        self.hostname = hostname
        self.labels = labels
    }

    /// Checks what the master requires of a subscription.
    /// - Throws: ``InputError`` naming the field: empty name, no roles, repeated role.
    public func validate() throws(InputError) {
        if name.allSatisfy(\.isWhitespace) {
            throw InputError(field: "framework.name", "must not be empty")
        }
        if roles.isEmpty {
            throw InputError(field: "framework.roles", "must name at least one role (use '*' for unreserved)")
        }
        if Set(roles).count != roles.count {
            throw InputError(field: "framework.roles", "\(roles.map(\.name)) repeats a role")
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, name, user, roles, priority, failoverTimeoutSeconds, principal, checkpoint, capabilities, hostname, labels
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeIfPresent(FrameworkID.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        user = try c.decodeIfPresent(String.self, forKey: .user) ?? ""
        roles = try c.decodeIfPresent([Role].self, forKey: .roles) ?? [.any]
        priority = try c.decodeIfPresent(Int.self, forKey: .priority) ?? 0
        failoverTimeout = try c.decodeSecondsIfPresent(forKey: .failoverTimeoutSeconds) ?? .zero
        principal = try c.decodeIfPresent(String.self, forKey: .principal)
        checkpoint = try c.decodeIfPresent(Bool.self, forKey: .checkpoint) ?? false
        capabilities = try c.decodeIfPresent(Set<FrameworkCapability>.self, forKey: .capabilities) ?? []
        hostname = try c.decodeIfPresent(String.self, forKey: .hostname)
        labels = try c.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(user, forKey: .user)
        try c.encode(roles, forKey: .roles)
        try c.encode(priority, forKey: .priority)
        try c.encodeSeconds(failoverTimeout, forKey: .failoverTimeoutSeconds)
        try c.encodeIfPresent(principal, forKey: .principal)
        try c.encode(checkpoint, forKey: .checkpoint)
        try c.encode(capabilities.sorted { $0.rawValue < $1.rawValue }, forKey: .capabilities)
        try c.encodeIfPresent(hostname, forKey: .hostname)
        try c.encode(labels, forKey: .labels)
    }
}

/// An optional protocol feature a framework declares it understands (Mesos' framework capabilities).
///
/// JSON: the Mesos v1 names (`"PARTITION_AWARE"`).
public enum FrameworkCapability: String, Hashable, Sendable, Codable, CaseIterable {
    /// Receives `TASK_UNREACHABLE`/`TASK_GONE` instead of `TASK_LOST` when an agent is partitioned.
    case partitionAware = "PARTITION_AWARE"
    /// Receives `TASK_KILLING` while a task shuts down within its grace period.
    case taskKillingState = "TASK_KILLING_STATE"
    /// May be offered resources of several roles.
    case multiRole = "MULTI_ROLE"
    /// May be offered GPUs (agents with GPUs are otherwise withheld, as Mesos does).
    case gpuResources = "GPU_RESOURCES"
}
