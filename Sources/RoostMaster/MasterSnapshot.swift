public import RoostCore
import RoostAllocators

/// Everything the master knows, as one Codable value: what the `state` API and the CLI show.
///
/// JSON fields: `master`, `frameworks`, `agents`, `offers`, `policy`.
public struct MasterSnapshot: Hashable, Sendable, Codable {
    /// A framework with its tasks and holdings.
    public struct Framework: Hashable, Sendable, Codable {
        /// Its description (with its ID).
        public var info: FrameworkInfo
        /// Whether a scheduler is connected now.
        public var connected: Bool
        /// Live tasks, and terminal ones not yet acknowledged.
        public var tasks: [MasterTask]
        /// Recently finished tasks (acknowledged), oldest first.
        public var completedTasks: [MasterTask]
        /// Everything it holds (offered or used), across agents.
        public var allocated: Resources
        /// The largest share of any scalar resource it holds: allocated / cluster total.
        public var dominantShare: Double
    }

    /// An agent with its capacity.
    public struct Agent: Hashable, Sendable, Codable {
        /// Its description (with its ID).
        public var info: AgentInfo
        /// Whether it answers pings.
        public var reachable: Bool
        /// What is neither offered nor used.
        public var free: Resources
    }

    /// The master that took the snapshot.
    public var master: MasterInfo
    /// The allocation policy's name.
    public var policy: String
    /// Registered frameworks, by ID.
    public var frameworks: [Framework]
    /// Registered agents, by ID.
    public var agents: [Agent]
    /// Outstanding offers.
    public var offers: [Offer]
}

extension MasterState {
    /// A snapshot of everything the master knows, sorted by ID.
    public var snapshot: MasterSnapshot {
        let total = engine.totalResources
        let frameworkList = frameworks.sorted { $0.key < $1.key }.map { id, entry in
            let allocated = engine.allocation(of: id)
            let share = total.scalarNames.reduce(0.0) { best, name in
                let capacity = total.scalar(named: name).doubleValue
                return capacity > 0 ? max(best, allocated.scalar(named: name).doubleValue / capacity) : best
            }
            return MasterSnapshot.Framework(
                info: entry.info, connected: entry.connection != nil,
                tasks: entry.tasks.values.sorted { $0.info.id < $1.info.id },
                completedTasks: Array(entry.completed), allocated: allocated, dominantShare: share)
        }
        let agentList = agents.sorted { $0.key < $1.key }.map { id, entry in
            MasterSnapshot.Agent(info: entry.info, reachable: entry.reachable, free: engine.free(on: id) ?? Resources())
        }
        return MasterSnapshot(
            master: master, policy: engine.policyName, frameworks: frameworkList, agents: agentList,
            offers: offers.values.map(\.offer).sorted { $0.id < $1.id })
    }

    /// Why `framework` gets what it gets, or does not get more, as the allocation engine and
    /// its policy explain it (see `AllocationEngine.explain(_:)`); empty for an unknown framework.
    public func explain(_ framework: FrameworkID) -> [AllocationExplanation] {
        engine.explain(framework)
    }
}
