public import RoostCore

/// First come, first served: candidates in registration order; the first eligible one
/// gets each agent's free resources.
///
/// A framework that wants no more resources declines (a filter) or suppresses,
/// which makes it ineligible, and the next in line is offered. Roles, weights
/// and shares play no part.
public struct FIFOAllocator: AllocatorPolicy {
    /// `fifo`.
    public var name: String { "fifo" }

    private var queue = RankedList<UInt64>()
    private var registration: [UInt64?] = []
    private var frameworks: [FrameworkID?] = []

    /// Creates a FIFO policy.
    public init() {}

    /// Queues the candidate by its registration order.
    public mutating func addCandidate(_ candidate: AllocationCandidate) {
        let index = candidate.id.index
        if registration.count <= index {
            registration.append(contentsOf: repeatElement(nil, count: index + 1 - registration.count))
            frameworks.append(contentsOf: repeatElement(nil, count: index + 1 - frameworks.count))
        }
        precondition(registration[index] == nil, "FIFOAllocator: candidate \(candidate.id) added twice")
        registration[index] = candidate.registrationOrder
        frameworks[index] = candidate.framework
        queue.insert(index, key: candidate.registrationOrder)
    }

    /// Takes the candidate out of the queue.
    public mutating func removeCandidate(_ id: CandidateID) {
        guard let order = registration[safe: id.index] ?? nil else { return }
        queue.remove(id.index, key: order)
        registration[id.index] = nil
        frameworks[id.index] = nil
    }

    /// FIFO ignores capacity.
    public mutating func addAgent(_ agent: AgentID, total: Resources) {}
    /// FIFO ignores capacity.
    public mutating func removeAgent(_ agent: AgentID, total: Resources) {}
    /// FIFO ignores what candidates hold.
    public mutating func allocated(_ resources: Resources, to candidate: CandidateID, on agent: AgentID) {}
    /// FIFO ignores what candidates hold.
    public mutating func recovered(_ resources: Resources, from candidate: CandidateID, on agent: AgentID) {}

    /// The earliest-registered eligible candidate.
    public mutating func pick(for agent: AgentResources, isEligible: (CandidateID) -> Bool) -> CandidateID? {
        queue.firstID { isEligible(CandidateID($0)) }.map(CandidateID.init)
    }

    /// `.queuedBehind` the earliest-registered recipient that came before this candidate.
    public func explain(_ candidate: CandidateID, recipients: [CandidateID]) -> [AllocationExplanation] {
        guard let mine = registration[safe: candidate.index] ?? nil else { return [] }
        let earlier = recipients
            .compactMap { id in (registration[safe: id.index] ?? nil).map { (id, $0) } }
            .filter { $0.1 < mine }
            .min { $0.1 < $1.1 }
        guard let (id, _) = earlier, let framework = frameworks[id.index] else { return [] }
        return [.queuedBehind(framework)]
    }
}
