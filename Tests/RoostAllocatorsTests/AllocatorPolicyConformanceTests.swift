import Foundation
import RoostAllocators
import RoostCore
import RoostTesting
import Synchronization
import Testing

struct AllocatorPolicyConformanceTests {
    // MARK: The shipped policies and the documented example conform

    @Test func drfConforms() throws {
        try AllocatorPolicyConformance.verify { DRFAllocator() }
    }

    @Test func drfWithWeightsAndExclusionsConforms() throws {
        try AllocatorPolicyConformance.verify(.init(seeds: 21...30)) {
            DRFAllocator(configuration: .init(excludedResources: ["gpus"], weights: ["web": 2]))
        }
    }

    @Test func fifoConforms() throws {
        try AllocatorPolicyConformance.verify { FIFOAllocator() }
    }

    @Test func priorityConforms() throws {
        try AllocatorPolicyConformance.verify { PriorityAllocator() }
    }

    /// The example in docs/plugins.md, compiled here so the page cannot rot.
    @Test func roundRobinExampleConforms() throws {
        try AllocatorPolicyConformance.verify { RoundRobinAllocator() }
    }

    /// The example in docs/plugins.md is the code above, word for word.
    @Test func pluginsPageShowsTheCompiledExample() throws {
        let here = URL(fileURLWithPath: #filePath)
        let root = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let page = try String(contentsOf: root.appendingPathComponent("docs/plugins.md"), encoding: .utf8)
        let source = try String(contentsOf: here, encoding: .utf8)
        let blocks = page.components(separatedBy: "```swift\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
        let example = try #require(blocks.first { $0.contains("struct RoundRobinAllocator") })
        let code = example.replacingOccurrences(of: "import RoostCore\n\n", with: "")
        #expect(source.contains(code), "the RoundRobinAllocator in docs/plugins.md differs from the one in this file")
    }

    // MARK: Broken policies are caught, each by the check it breaks

    @Test func catchesPolicyThatIgnoresEligibility() {
        let violations = AllocatorPolicyConformance.check { IgnoresEligibility() }
        // Caught on the policy's own answers (never asked about, or told no). The engine
        // re-checks every answer, so no offer reaches a suppressed or filtered framework.
        #expect(Set(violations.map(\.check)) == [.honoursEligibility])
    }

    @Test func catchesPolicyThatReturnsRemovedCandidate() {
        let violations = AllocatorPolicyConformance.check { ForgetsRemovals() }
        #expect(Set(violations.map(\.check)) == [.forgetsRemovedCandidates])
        #expect(violations.allSatisfy { $0.message.contains("which was removed") })
    }

    @Test func catchesNondeterministicPolicy() {
        let violations = AllocatorPolicyConformance.check { TakesTurnsGlobally() }
        #expect(Set(violations.map(\.check)) == [.deterministic])
    }

    @Test func catchesPolicyThatHoldsResourcesBack() {
        let violations = AllocatorPolicyConformance.check { WaitsForBigAgents() }
        #expect(Set(violations.map(\.check)) == [.workConserving])
        // A policy that holds back on purpose opts out of that one check, and passes the rest.
        #expect(AllocatorPolicyConformance.check(.init(skipping: [.workConserving])) { WaitsForBigAgents() }.isEmpty)
    }

    /// Candidate IDs are reused after removal; a policy that shuns a reused ID starves its new owner.
    @Test func catchesPolicyThatShunsReusedIDs() {
        let violations = AllocatorPolicyConformance.check { ShunsReusedIDs() }
        #expect(Set(violations.map(\.check)) == [.workConserving])
    }

    // MARK: Reports

    @Test func verifyThrowsWithEveryViolationListed() {
        let expected = AllocatorPolicyConformance.check(.init(seeds: 1...3)) { IgnoresEligibility() }
        #expect(!expected.isEmpty)
        do {
            try AllocatorPolicyConformance.verify(.init(seeds: 1...3)) { IgnoresEligibility() }
            Issue.record("verify did not throw")
        } catch {
            #expect(error.code == .policyViolatesContract)
            #expect(error.policy == "ignores-eligibility")
            #expect(error.violations == expected)
            for violation in expected { #expect(error.message.contains(violation.description)) }
            #expect(error.message.contains("seeds: \(expected[0].seed)...\(expected[0].seed)"))
        }
    }

    /// A violation's seed replays its scenario alone, step for step.
    @Test func seedReproducesViolation() throws {
        let violations = AllocatorPolicyConformance.check(.init(seeds: 5...9)) { ForgetsRemovals() }
        let first = try #require(violations.first)
        let again = AllocatorPolicyConformance.check(.init(seeds: first.seed...first.seed)) { ForgetsRemovals() }
        #expect(again.first == first)
        #expect(first.step > 0 && !first.operation.isEmpty)
    }
}

// MARK: - The example from docs/plugins.md

/// Offers each agent to the candidates in turn, starting after the one served last.
///
/// Nothing but the order of registration matters: shares, weights and
/// priorities are ignored, so the notifications about agents and allocations
/// need no bookkeeping.
struct RoundRobinAllocator: AllocatorPolicy {
    var name: String { "round-robin" }

    /// Registered candidates in registration order.
    private var ring: [AllocationCandidate] = []
    /// The registration order of the candidate served last.
    private var last: UInt64 = 0

    mutating func addCandidate(_ candidate: AllocationCandidate) {
        let index = ring.firstIndex { $0.registrationOrder > candidate.registrationOrder } ?? ring.endIndex
        ring.insert(candidate, at: index)
    }

    mutating func removeCandidate(_ id: CandidateID) {
        ring.removeAll { $0.id == id }
    }

    mutating func addAgent(_ agent: AgentID, total: Resources) {}
    mutating func removeAgent(_ agent: AgentID, total: Resources) {}
    mutating func allocated(_ resources: Resources, to candidate: CandidateID, on agent: AgentID) {}
    mutating func recovered(_ resources: Resources, from candidate: CandidateID, on agent: AgentID) {}

    mutating func pick(for agent: AgentResources, isEligible: (CandidateID) -> Bool) -> CandidateID? {
        let start = ring.firstIndex { $0.registrationOrder > last } ?? 0
        for offset in ring.indices {
            let candidate = ring[(start + offset) % ring.count]
            if isEligible(candidate.id) {
                last = candidate.registrationOrder
                return candidate.id
            }
        }
        return nil
    }
}

// MARK: - Broken policies

/// Hands every agent to the oldest candidate without asking whether it may have it.
struct IgnoresEligibility: AllocatorPolicy {
    var name: String { "ignores-eligibility" }
    private var queue: [AllocationCandidate] = []

    mutating func addCandidate(_ candidate: AllocationCandidate) { queue.append(candidate) }
    mutating func removeCandidate(_ id: CandidateID) { queue.removeAll { $0.id == id } }
    mutating func addAgent(_ agent: AgentID, total: Resources) {}
    mutating func removeAgent(_ agent: AgentID, total: Resources) {}
    mutating func allocated(_ resources: Resources, to candidate: CandidateID, on agent: AgentID) {}
    mutating func recovered(_ resources: Resources, from candidate: CandidateID, on agent: AgentID) {}

    mutating func pick(for agent: AgentResources, isEligible: (CandidateID) -> Bool) -> CandidateID? {
        queue.first?.id
    }
}

/// First come, first served, but never forgets a candidate: removed ones stay in the queue.
struct ForgetsRemovals: AllocatorPolicy {
    var name: String { "forgets-removals" }
    private var queue: [CandidateID] = []

    mutating func addCandidate(_ candidate: AllocationCandidate) { queue.append(candidate.id) }
    mutating func removeCandidate(_ id: CandidateID) {}
    mutating func addAgent(_ agent: AgentID, total: Resources) {}
    mutating func removeAgent(_ agent: AgentID, total: Resources) {}
    mutating func allocated(_ resources: Resources, to candidate: CandidateID, on agent: AgentID) {}
    mutating func recovered(_ resources: Resources, from candidate: CandidateID, on agent: AgentID) {}

    mutating func pick(for agent: AgentResources, isEligible: (CandidateID) -> Bool) -> CandidateID? {
        queue.first(where: isEligible)
    }
}

/// Every pick in the process advances this, whichever policy instance makes it.
private let globalTurn = Atomic<Int>(0)

/// Spreads agents over the eligible candidates by a process-wide counter: two instances
/// fed the same calls disagree.
struct TakesTurnsGlobally: AllocatorPolicy {
    var name: String { "takes-turns-globally" }
    private var candidates: [CandidateID] = []

    mutating func addCandidate(_ candidate: AllocationCandidate) { candidates.append(candidate.id) }
    mutating func removeCandidate(_ id: CandidateID) { candidates.removeAll { $0 == id } }
    mutating func addAgent(_ agent: AgentID, total: Resources) {}
    mutating func removeAgent(_ agent: AgentID, total: Resources) {}
    mutating func allocated(_ resources: Resources, to candidate: CandidateID, on agent: AgentID) {}
    mutating func recovered(_ resources: Resources, from candidate: CandidateID, on agent: AgentID) {}

    mutating func pick(for agent: AgentResources, isEligible: (CandidateID) -> Bool) -> CandidateID? {
        let eligible = candidates.filter(isEligible)
        guard !eligible.isEmpty else { return nil }
        let turn = globalTurn.add(1, ordering: .relaxed).newValue
        return eligible[turn % eligible.count]
    }
}

/// First come, first served, but only on agents with at least 2 CPUs free: smaller
/// leftovers wait, although someone could use them.
struct WaitsForBigAgents: AllocatorPolicy {
    var name: String { "waits-for-big-agents" }
    private var queue: [CandidateID] = []

    mutating func addCandidate(_ candidate: AllocationCandidate) { queue.append(candidate.id) }
    mutating func removeCandidate(_ id: CandidateID) { queue.removeAll { $0 == id } }
    mutating func addAgent(_ agent: AgentID, total: Resources) {}
    mutating func removeAgent(_ agent: AgentID, total: Resources) {}
    mutating func allocated(_ resources: Resources, to candidate: CandidateID, on agent: AgentID) {}
    mutating func recovered(_ resources: Resources, from candidate: CandidateID, on agent: AgentID) {}

    mutating func pick(for agent: AgentResources, isEligible: (CandidateID) -> Bool) -> CandidateID? {
        guard agent.free.scalar(named: "cpus") >= 2 else { return nil }
        return queue.first(where: isEligible)
    }
}

/// First come, first served, but treats an ID it saw removed as gone for good, so the
/// new candidate that reuses it is never offered anything.
struct ShunsReusedIDs: AllocatorPolicy {
    var name: String { "shuns-reused-ids" }
    private var queue: [CandidateID] = []
    private var tombstones: Set<CandidateID> = []

    mutating func addCandidate(_ candidate: AllocationCandidate) { queue.append(candidate.id) }
    mutating func removeCandidate(_ id: CandidateID) {
        queue.removeAll { $0 == id }
        tombstones.insert(id)
    }
    mutating func addAgent(_ agent: AgentID, total: Resources) {}
    mutating func removeAgent(_ agent: AgentID, total: Resources) {}
    mutating func allocated(_ resources: Resources, to candidate: CandidateID, on agent: AgentID) {}
    mutating func recovered(_ resources: Resources, from candidate: CandidateID, on agent: AgentID) {}

    mutating func pick(for agent: AgentResources, isEligible: (CandidateID) -> Bool) -> CandidateID? {
        queue.first { !tombstones.contains($0) && isEligible($0) }
    }
}
