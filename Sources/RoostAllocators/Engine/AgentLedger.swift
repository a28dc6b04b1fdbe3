import RoostCore

/// A set of small non-negative integers (candidate indices) as a bit vector.
struct CandidateBits: Sendable {
    private var words: [UInt64] = []

    func contains(_ index: Int) -> Bool {
        let word = index >> 6
        return word < words.count && words[word] & (1 << UInt64(index & 63)) != 0
    }

    /// Inserts `index`; returns whether it was newly inserted.
    @discardableResult
    mutating func insert(_ index: Int) -> Bool {
        let word = index >> 6
        if word >= words.count { words.append(contentsOf: repeatElement(0, count: word + 1 - words.count)) }
        let mask: UInt64 = 1 << UInt64(index & 63)
        if words[word] & mask != 0 { return false }
        words[word] |= mask
        return true
    }

    /// Removes `index`; returns whether it was present.
    @discardableResult
    mutating func remove(_ index: Int) -> Bool {
        let word = index >> 6
        guard word < words.count else { return false }
        let mask: UInt64 = 1 << UInt64(index & 63)
        if words[word] & mask == 0 { return false }
        words[word] &= ~mask
        return true
    }

    mutating func removeAll() { words.removeAll(keepingCapacity: true) }

    /// How many indices are in this set or in `other`.
    func unionCount(with other: CandidateBits) -> Int {
        var count = 0
        for index in 0..<max(words.count, other.words.count) {
            let mine = index < words.count ? words[index] : 0
            let theirs = index < other.words.count ? other.words[index] : 0
            count += (mine | theirs).nonzeroBitCount
        }
        return count
    }
}

/// A decline filter: `refused` on one agent is not re-offered to one candidate until `expiresAt`.
struct OfferFilter: Sendable {
    var refused: Resources
    var expiresAt: Duration
    var serial: UInt64
}

/// Everything the engine knows about one agent.
///
/// `blocked` caches which candidates are filtered on this agent: a bit is set
/// only when one of the candidate's filters covers what the agent could offer
/// it. Since `contains` is monotone, a bit set while the free resources were
/// `validatedFree` stays true for any smaller free; when free grows beyond
/// `validatedFree` the cache is dropped and rebuilt lazily as candidates are
/// checked. That keeps re-checking filters proportional to what changed.
struct AgentLedger: Sendable {
    enum Queue: Sendable {
        /// Nothing to offer (free below the minimum) and nothing changed.
        case idle
        /// Waiting to be examined in the next cycle.
        case dirty
        /// Has free resources but nobody eligible wanted them; re-examined when eligibility changes.
        case stranded
    }

    let id: AgentID
    var hostname: String
    var attributes: [String: String]
    var total: Resources
    var free: Resources
    /// Whether any of the agent's resources are reserved for a role (offers then differ by role).
    var hasReservations: Bool
    /// What each candidate holds here.
    var allocations: [(candidate: Int, resources: Resources)] = []
    var filters: [Int: [OfferFilter]] = [:]
    var blocked = CandidateBits()
    var blockedCount = 0
    var validatedFree: Resources
    var queue: Queue = .dirty

    init(info: AgentInfo, id: AgentID) {
        self.id = id
        hostname = info.hostname
        attributes = info.attributes
        total = info.resources
        free = info.resources
        hasReservations = info.resources.entries.contains { !$0.role.isDefault }
        validatedFree = info.resources
    }

    /// What could be offered to a candidate under `role`: unreserved plus reserved-for-role.
    func offerable(to role: Role) -> Resources {
        hasReservations ? free.allocatable(to: role) : free
    }

    func holding(_ candidate: Int) -> Resources {
        allocations.first { $0.candidate == candidate }?.resources ?? Resources()
    }

    mutating func allocate(_ resources: Resources, to candidate: Int) {
        free -= resources
        if let index = allocations.firstIndex(where: { $0.candidate == candidate }) {
            allocations[index].resources += resources
        } else {
            allocations.append((candidate, resources))
        }
    }

    /// Returns `resources` from `candidate` to the free pool; false (and nothing changes)
    /// when the candidate does not hold them.
    mutating func recover(_ resources: Resources, from candidate: Int) -> Bool {
        guard let index = allocations.firstIndex(where: { $0.candidate == candidate }),
            allocations[index].resources.contains(resources)
        else { return false }
        allocations[index].resources -= resources
        if allocations[index].resources.isEmpty { allocations.remove(at: index) }
        free += resources
        if !validatedFree.contains(free) { dropBlockedCache() }
        return true
    }

    /// Whether `candidate` (under `role`) is filtered here now; caches a positive answer.
    mutating func isFiltered(_ candidate: Int, role: Role) -> Bool {
        if blocked.contains(candidate) { return true }
        guard let list = filters[candidate] else { return false }
        let offer = offerable(to: role)
        guard list.contains(where: { $0.refused.contains(offer) }) else { return false }
        // `free` never exceeds `validatedFree` (recover drops the cache when it would), so
        // narrowing the validated level to `free` keeps every cached bit true.
        validatedFree = free
        if blocked.insert(candidate) { blockedCount += 1 }
        return true
    }

    mutating func addFilter(_ filter: OfferFilter, for candidate: Int) {
        filters[candidate, default: []].append(filter)
    }

    /// Removes the filter with `serial` (expired); returns whether it was there.
    mutating func removeFilter(serial: UInt64, for candidate: Int) -> Bool {
        guard var list = filters[candidate], let index = list.firstIndex(where: { $0.serial == serial }) else { return false }
        list.remove(at: index)
        filters[candidate] = list.isEmpty ? nil : list
        if blocked.remove(candidate) { blockedCount -= 1 }
        return true
    }

    /// Removes every filter of `candidate` (revive, removal).
    mutating func clearFilters(for candidate: Int) {
        filters[candidate] = nil
        if blocked.remove(candidate) { blockedCount -= 1 }
    }

    private mutating func dropBlockedCache() {
        blocked.removeAll()
        blockedCount = 0
        validatedFree = free
    }

    var view: AgentResources {
        AgentResources(id: id, hostname: hostname, attributes: attributes, total: total, free: free)
    }
}
