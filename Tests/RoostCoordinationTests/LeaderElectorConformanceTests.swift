import RoostCoordination
import RoostCore
import RoostTesting
import Testing

struct StaticElectorConformanceTests {
    @Test func staticElectorPassesTheConformanceSuiteAsFarAsItsContractGoes() async throws {
        // Each process has its own static elector naming the same fixed leader; nobody else
        // ever leads, so a resign does not hand over (the leader's next campaign is a new term).
        try await LeaderElectorConformance.verify(.init(candidates: 3, handovers: 2, skipping: [.resignHandsOver])) { _ in
            StaticLeaderElector(configuration: .init(leader: LeaderElectorConformance.candidate(0)))
        }
    }

    @Test func theSuiteCatchesAnElectorThatElectsEveryone() async {
        let violations = await LeaderElectorConformance.check(.init(candidates: 2, handovers: 0, timeout: .milliseconds(500), handoverGrace: .milliseconds(50))) { index in
            StaticLeaderElector(configuration: .init(leader: LeaderElectorConformance.candidate(index)))
        }
        #expect(violations.contains { $0.check == .singleLeader }, "\(violations)")
        #expect(violations.contains { $0.check == .electsALeader }, "\(violations)")
    }
}
