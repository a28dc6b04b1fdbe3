public import RoostCore

/// Weighted Dominant Resource Fairness over roles, then over frameworks within a role.
///
/// Mesos' default allocator policy (its hierarchical DRF sorter), after
/// Ghodsi et al., "Dominant Resource Fairness", NSDI 2011:
/// - a candidate's dominant share is the largest, over scalar resources, of its
///   allocation divided by the cluster's total;
/// - roles are ordered by their dominant share divided by their weight (default
///   1, changeable at run time); within a role, frameworks are ordered by their
///   own dominant share;
/// - ties go to the earlier registration, so the order is deterministic.
///
/// When frameworks take one task per offer and return the rest, offering each
/// agent to the lowest share first is the paper's progressive filling.
///
/// `pick` walks roles and frameworks in order and returns the first eligible
/// candidate: O(1) when the first is eligible, one step per ineligible one.
/// An allocation moves one framework and one role in their sorted lists.
public struct DRFAllocator: AllocatorPolicy {
    /// DRF's settings.
    public struct Configuration: Sendable {
        /// Resource names that do not count towards shares (Mesos'
        /// `--fair_sharing_excluded_resource_names`; empty by default).
        public var excludedResources: Set<String>
        /// Role weights to start with; roles not listed weigh 1 (Mesos' `--weights`).
        public var weights: [Role: Double]

        /// Creates a configuration.
        public init(excludedResources: Set<String> = [], weights: [Role: Double] = [:]) {
            self.excludedResources = excludedResources
            self.weights = weights
        }
    }

    /// `drf`.
    public var name: String { "drf" }

    private var ledger: ShareLedger
    private var weights: [Role: Double]
    private var clients: [Client?] = []
    private var roles: [RoleGroup] = []
    private var roleSlots: [Role: Int] = [:]
    private var roleOrder = RankedList<ShareKey>()
    /// Set when cluster totals changed: every share is stale and is recomputed before the next pick.
    private var needsResort = false

    private struct Client: Sendable {
        var candidate: AllocationCandidate
        var allocation: [Int64] = []
        var key: ShareKey
        var roleSlot: Int
    }

    private struct RoleGroup: Sendable {
        var role: Role
        var allocation: [Int64] = []
        var key: ShareKey
        var members = RankedList<ShareKey>()
        /// Registration of the role's oldest member: the tie-breaker among roles.
        var registrationOrder: UInt64
    }

    /// Creates a DRF policy.
    public init(configuration: Configuration = Configuration()) {
        ledger = ShareLedger(excluded: configuration.excludedResources)
        weights = configuration.weights
    }

    /// Adds the candidate to its role's list with share 0 (a new role starts with share 0 too).
    public mutating func addCandidate(_ candidate: AllocationCandidate) {
        let slot = roleSlot(for: candidate.role, registrationOrder: candidate.registrationOrder)
        let key = ShareKey(share: 0, registrationOrder: candidate.registrationOrder)
        let index = candidate.id.index
        if clients.count <= index { clients.append(contentsOf: repeatElement(nil, count: index + 1 - clients.count)) }
        precondition(clients[index] == nil, "DRFAllocator: candidate \(candidate.id) added twice")
        clients[index] = Client(candidate: candidate, key: key, roleSlot: slot)
        roles[slot].members.insert(index, key: key)
    }

    /// Removes the candidate and takes its allocation out of its role's share.
    public mutating func removeCandidate(_ id: CandidateID) {
        guard let client = clients[safe: id.index] ?? nil else { return }
        roles[client.roleSlot].members.remove(id.index, key: client.key)
        subtract(client.allocation, fromRole: client.roleSlot)
        clients[id.index] = nil
    }

    /// Grows the cluster's totals; every share is recomputed before the next pick.
    public mutating func addAgent(_ agent: AgentID, total: Resources) {
        ledger.addTotal(total)
        needsResort = true
    }

    /// Shrinks the cluster's totals; every share is recomputed before the next pick.
    public mutating func removeAgent(_ agent: AgentID, total: Resources) {
        ledger.addTotal(total, sign: -1)
        needsResort = true
    }

    /// Raises the candidate's and its role's shares and moves both in their lists.
    public mutating func allocated(_ resources: Resources, to candidate: CandidateID, on agent: AgentID) {
        change(candidate, by: resources, sign: 1)
    }

    /// Lowers the candidate's and its role's shares and moves both in their lists.
    public mutating func recovered(_ resources: Resources, from candidate: CandidateID, on agent: AgentID) {
        change(candidate, by: resources, sign: -1)
    }

    /// Sets a role's weight: its share is divided by it when roles are ordered.
    public mutating func setWeight(_ weight: Double, for role: Role) {
        weights[role] = weight
        guard let slot = roleSlots[role] else { return }
        let key = roleKey(slot)
        roleOrder.update(slot, from: roles[slot].key, to: key)
        roles[slot].key = key
    }

    /// The first eligible candidate of the lowest-share role that has one, lowest share first within it.
    public mutating func pick(for agent: AgentResources, isEligible: (CandidateID) -> Bool) -> CandidateID? {
        if needsResort { resort() }
        var picked: Int?
        _ = roleOrder.firstID { slot in
            picked = roles[slot].members.firstID { isEligible(CandidateID($0)) }
            return picked != nil
        }
        return picked.map(CandidateID.init)
    }

    /// `.outranked` by the recipient (of another framework) with the lowest share, if any.
    public func explain(_ candidate: CandidateID, recipients: [CandidateID]) -> [AllocationExplanation] {
        guard let client = clients[safe: candidate.index] ?? nil else { return [] }
        // The recipient that ranked furthest ahead of this candidate (lowest share) is the clearest answer.
        let ahead = recipients.compactMap { clients[safe: $0.index] ?? nil }
            .filter { $0.candidate.framework != client.candidate.framework }
            .min { $0.key < $1.key }
        guard let ahead else { return [] }
        return [.outranked(by: ahead.candidate.framework, share: client.key.share, theirShare: ahead.key.share)]
    }

    /// The candidate's current dominant share (not weighted), for explanations and tests.
    public func share(of candidate: CandidateID) -> Double? {
        (clients[safe: candidate.index] ?? nil)?.key.share
    }

    /// A role's current dominant share divided by its weight.
    public func weightedShare(of role: Role) -> Double? {
        roleSlots[role].map { roles[$0].key.share }
    }

    // MARK: Bookkeeping

    private mutating func change(_ candidate: CandidateID, by resources: Resources, sign: Int64) {
        guard var client = clients[safe: candidate.index] ?? nil else { return }
        ledger.apply(resources, to: &client.allocation, sign: sign)
        ledger.apply(resources, to: &roles[client.roleSlot].allocation, sign: sign)
        if !needsResort {
            let key = ShareKey(share: ledger.dominantShare(client.allocation), registrationOrder: client.key.registrationOrder)
            roles[client.roleSlot].members.update(candidate.index, from: client.key, to: key)
            client.key = key
            let roleKey = roleKey(client.roleSlot)
            roleOrder.update(client.roleSlot, from: roles[client.roleSlot].key, to: roleKey)
            roles[client.roleSlot].key = roleKey
        }
        clients[candidate.index] = client
    }

    private mutating func subtract(_ allocation: [Int64], fromRole slot: Int) {
        for (index, amount) in allocation.enumerated() where index < roles[slot].allocation.count {
            roles[slot].allocation[index] = max(0, roles[slot].allocation[index] - amount)
        }
        let key = roleKey(slot)
        roleOrder.update(slot, from: roles[slot].key, to: key)
        roles[slot].key = key
    }

    private func roleKey(_ slot: Int) -> ShareKey {
        let weight = weights[roles[slot].role] ?? 1
        let share = ledger.dominantShare(roles[slot].allocation) / (weight > 0 ? weight : 1)
        return ShareKey(share: share, registrationOrder: roles[slot].registrationOrder)
    }

    private mutating func roleSlot(for role: Role, registrationOrder: UInt64) -> Int {
        if let slot = roleSlots[role] { return slot }
        let slot = roles.count
        let key = ShareKey(share: 0, registrationOrder: registrationOrder)
        roles.append(RoleGroup(role: role, key: key, registrationOrder: registrationOrder))
        roleSlots[role] = slot
        roleOrder.insert(slot, key: key)
        return slot
    }

    /// Recomputes every share after the cluster's totals changed.
    private mutating func resort() {
        needsResort = false
        var roleKeys: [(id: Int, key: ShareKey)] = []
        var members: [[(id: Int, key: ShareKey)]] = Array(repeating: [], count: roles.count)
        for index in clients.indices {
            guard var client = clients[index] else { continue }
            client.key.share = ledger.dominantShare(client.allocation)
            members[client.roleSlot].append((index, client.key))
            clients[index] = client
        }
        for slot in roles.indices {
            roles[slot].members.rebuild(members[slot])
            roles[slot].key = roleKey(slot)
            roleKeys.append((slot, roles[slot].key))
        }
        roleOrder.rebuild(roleKeys)
    }
}

