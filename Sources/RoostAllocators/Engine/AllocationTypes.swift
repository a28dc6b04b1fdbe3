public import RoostCore

/// One decision of an allocation cycle: offer `resources` of `agentID` to `framework` under `role`.
///
/// The master turns each into an ``Offer``.
public struct Allocation: Hashable, Sendable {
    /// Who receives the resources.
    public var framework: FrameworkID
    /// The role they are allocated under.
    public var role: Role
    /// The agent they are on.
    public var agentID: AgentID
    /// What is offered.
    public var resources: Resources

    /// Creates an allocation decision.
    public init(framework: FrameworkID, role: Role, agentID: AgentID, resources: Resources) {
        self.framework = framework
        self.role = role
        self.agentID = agentID
        self.resources = resources
    }
}

/// What one allocation cycle decided.
public struct AllocationCycle: Sendable {
    /// Resources to offer, in the order they were decided.
    public var allocations: [Allocation]
    /// Tasks to kill so that a framework's unmet demand can be met (from the policy's
    /// ``AllocatorPolicy/victims(for:of:running:agents:)``).
    public var preemptions: [Preemption]
    /// How many agents the cycle looked at: those whose free resources or
    /// eligibility changed since the last cycle, not the whole cluster.
    public var examinedAgents: Int
}

/// Why the allocation engine refused a call.
public struct AllocationError: CodedError, Hashable, Sendable {
    /// What kind of refusal this is.
    public var code: ErrorCode<AllocationError>
    /// What was wrong, naming the framework, agent or role.
    public var message: String

    /// Creates an error.
    public init(_ code: ErrorCode<AllocationError>, _ message: String) {
        self.code = code
        self.message = message
    }
}

extension ErrorCode where Domain == AllocationError {
    /// The framework is not registered with the engine.
    public static var unknownFramework: Self { Self("unknownFramework") }
    /// The framework is already registered.
    public static var duplicateFramework: Self { Self("duplicateFramework") }
    /// The agent is not registered with the engine.
    public static var unknownAgent: Self { Self("unknownAgent") }
    /// The agent is already registered, or has no ID.
    public static var invalidAgent: Self { Self("invalidAgent") }
    /// A role weight is not a positive, finite number.
    public static var invalidWeight: Self { Self("invalidWeight") }
    /// More resources were recovered than the framework holds on that agent.
    public static var overRecovery: Self { Self("overRecovery") }
    /// A framework subscribed with invalid roles.
    public static var invalidFramework: Self { Self("invalidFramework") }
}
