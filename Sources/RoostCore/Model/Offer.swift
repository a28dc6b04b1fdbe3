/// Resources of one agent that the master offers to one framework.
///
/// An offer is valid until the framework accepts or declines it, or the
/// master rescinds it. JSON fields: `id`, `frameworkID`, `agentID`,
/// `hostname`, `resources`, `attributes`.
public struct Offer: Hashable, Sendable, Codable, Identifiable {
    /// The offer's ID.
    public var id: OfferID
    /// The framework it is offered to.
    public var frameworkID: FrameworkID
    /// The agent whose resources these are.
    public var agentID: AgentID
    /// The agent's host name.
    public var hostname: String
    /// What is offered (unreserved resources plus those reserved for the framework's roles).
    public var resources: Resources
    /// The agent's attributes, for placement constraints.
    public var attributes: [String: String]

    /// Creates an offer.
    public init(id: OfferID, frameworkID: FrameworkID, agentID: AgentID, hostname: String, resources: Resources, attributes: [String: String] = [:]) {
        self.id = id
        self.frameworkID = frameworkID
        self.agentID = agentID
        self.hostname = hostname
        self.resources = resources
        self.attributes = attributes
    }
}

/// How long the master should not re-offer declined resources to a framework.
///
/// JSON: `{"refuseSeconds": 5}`; an absent field takes the default.
public struct Filters: Hashable, Sendable, Codable {
    /// How long declined resources on that agent are withheld from the framework.
    /// Default 5 s, as Mesos' `refuse_seconds`.
    public var refuse: Duration

    /// Mesos' default filter: refuse for 5 seconds.
    public static let `default` = Filters()

    /// Creates a filter.
    public init(refuse: Duration = .seconds(5)) { self.refuse = refuse }

    enum CodingKeys: String, CodingKey { case refuseSeconds }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        refuse = try c.decodeSecondsIfPresent(forKey: .refuseSeconds) ?? .seconds(5)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeSeconds(refuse, forKey: .refuseSeconds)
    }
}

/// What a framework does with accepted offers.
///
/// JSON: `{"launch": {"tasks": […]}}`, `{"reserve": {"resources": […]}}`,
/// `{"unreserve": {"resources": […]}}`.
public enum OfferOperation: Hashable, Sendable, Codable {
    /// Launch tasks on the offered resources.
    case launch(tasks: [TaskInfo])
    /// Dynamically reserve offered unreserved resources for a role.
    case reserve(resources: Resources)
    /// Return dynamically reserved resources to the unreserved pool.
    case unreserve(resources: Resources)
}

/// Resources a framework would like, for allocators that take demand into account
/// (the priority allocator preempts to satisfy it).
///
/// JSON fields: `agentID` (optional), `resources`.
public struct ResourceRequest: Hashable, Sendable, Codable {
    /// A specific agent, or `nil` for any.
    public var agentID: AgentID?
    /// What is wanted.
    public var resources: Resources

    /// Creates a request.
    public init(agentID: AgentID? = nil, resources: Resources) {
        self.agentID = agentID
        self.resources = resources
    }
}

/// A task to reconcile: the master answers with its latest known state.
///
/// JSON fields: `taskID`, `agentID` (optional).
public struct ReconcileTask: Hashable, Sendable, Codable {
    /// The task.
    public var taskID: TaskID
    /// Where the framework believes it runs, if known.
    public var agentID: AgentID?

    /// Creates a reconciliation entry.
    public init(taskID: TaskID, agentID: AgentID? = nil) {
        self.taskID = taskID
        self.agentID = agentID
    }
}
