import RoostCore
import Synchronization

/// What the conformance run has seen so far: who leads, the epochs, the violations.
struct ElectionLedger {
    var phase = "election"
    var violations: [LeaderElectorViolation] = []
    /// Candidates that lead now (as their streams were consumed), with their epoch.
    var leading: [Int: LeaderEpoch] = [:]
    /// The highest epoch elected so far.
    var maxEpoch: LeaderEpoch?
    /// Per candidate: `.lost` was delivered after its last `.elected`.
    var lostSinceElected: [Int: Bool] = [:]
    /// Per candidate: the campaign generation whose stream has finished.
    var finishedGeneration: [Int: Int] = [:]
    /// New leader elected while `old` still appeared to lead, since `since`.
    var overlaps: [(new: Int, old: Int, since: ContinuousClock.Instant)] = []
    let grace: Duration

    init(grace: Duration) { self.grace = grace }

    mutating func violate(_ check: LeaderElectorCheck, _ message: String) {
        violations.append(LeaderElectorViolation(check: check, phase: phase, message: message))
    }

    mutating func record(_ candidate: Int, _ event: LeadershipEvent, at now: ContinuousClock.Instant) {
        switch event {
        case .elected(let epoch):
            if let maxEpoch, epoch <= maxEpoch {
                violate(.epochsIncrease, "candidate \(candidate) was elected with epoch \(epoch), not greater than epoch \(maxEpoch) elected before")
            }
            maxEpoch = max(maxEpoch ?? epoch, epoch)
            for other in leading.keys where other != candidate {
                overlaps.append((candidate, other, now))
            }
            leading[candidate] = epoch
            lostSinceElected[candidate] = false
        case .lost:
            stopLeading(candidate, at: now)
            lostSinceElected[candidate] = true
        case .leaderChanged:
            break
        }
    }

    mutating func stopLeading(_ candidate: Int, at now: ContinuousClock.Instant) {
        leading[candidate] = nil
        var kept: [(new: Int, old: Int, since: ContinuousClock.Instant)] = []
        for overlap in overlaps {
            if overlap.old == candidate || overlap.new == candidate {
                if now - overlap.since > grace {
                    violate(.singleLeader, "candidates \(overlap.old) and \(overlap.new) both led for \(now - overlap.since)")
                }
            } else {
                kept.append(overlap)
            }
        }
        overlaps = kept
    }

    /// Overlaps that lasted past the grace without either side stepping down.
    mutating func checkOverlaps(at now: ContinuousClock.Instant) {
        for overlap in overlaps where now - overlap.since > grace {
            violate(.singleLeader, "candidates \(overlap.old) and \(overlap.new) both lead (for \(now - overlap.since) and counting)")
        }
        overlaps.removeAll { now - $0.since > grace }
    }
}

/// One run of the conformance scenario.
final class ConformanceRun: Sendable {
    let configuration: LeaderElectorConformance.Configuration
    let ledger: Mutex<ElectionLedger>

    init(configuration: LeaderElectorConformance.Configuration) {
        self.configuration = configuration
        self.ledger = Mutex(ElectionLedger(grace: configuration.handoverGrace))
    }

    private func applies(_ check: LeaderElectorCheck) -> Bool { !configuration.skipping.contains(check) }

    private func violate(_ check: LeaderElectorCheck, _ message: String) {
        guard applies(check) else { return }
        ledger.withLock { $0.violate(check, message) }
    }

    private func setPhase(_ phase: String) { ledger.withLock { $0.phase = phase } }

    /// Polls `condition` on the ledger every 5 ms until it holds or the timeout passes.
    private func wait(_ condition: (ElectionLedger) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + configuration.timeout
        while true {
            let holds = ledger.withLock { ledger in
                ledger.checkOverlaps(at: .now)
                return condition(ledger)
            }
            if holds { return true }
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Lets the handover grace pass, so a second leader whose `.elected` was delivered just
    /// after the first one's counts as an overlap, then checks the overlaps.
    private func settle() async {
        try? await Task.sleep(for: configuration.handoverGrace + .milliseconds(20))
        ledger.withLock { $0.checkOverlaps(at: .now) }
    }

    private func soleLeader(_ ledger: ElectionLedger) -> Int? {
        ledger.leading.count == 1 ? ledger.leading.keys.first : nil
    }

    func execute(_ makeElector: (Int) async throws -> any LeaderElector) async {
        var electors: [any LeaderElector] = []
        var consumers: [Task<Void, Never>] = []
        var generations = [Int](repeating: 0, count: configuration.candidates)

        func campaign(_ index: Int) async -> Bool {
            do {
                let events = try await electors[index].campaign(as: LeaderElectorConformance.candidate(index))
                generations[index] += 1
                let generation = generations[index]
                consumers.append(Task {
                    for await event in events { self.ledger.withLock { $0.record(index, event, at: .now) } }
                    self.ledger.withLock { ledger in
                        ledger.stopLeading(index, at: .now)
                        ledger.finishedGeneration[index] = generation
                    }
                })
                return true
            } catch {
                violate(.electsALeader, "candidate \(index) could not campaign: \(error)")
                return false
            }
        }

        func finish() async {
            // Two leaders still overlapping now would go on doing so: let the grace run out first.
            if ledger.withLock({ !$0.overlaps.isEmpty }) { await settle() }
            setPhase("shutdown")
            let leaders = ledger.withLock { Set($0.leading.keys) }
            for index in electors.indices where !leaders.contains(index) { await electors[index].resign() }
            for index in electors.indices where leaders.contains(index) { await electors[index].resign() }
            for consumer in consumers { await consumer.value }
            ledger.withLock { $0.checkOverlaps(at: .now + configuration.handoverGrace + .nanoseconds(1)) }
        }

        for index in 0..<configuration.candidates {
            do {
                electors.append(try await makeElector(index))
            } catch {
                violate(.electsALeader, "makeElector(\(index)) threw \(error)")
                await finish()
                return
            }
        }
        for index in electors.indices where !(await campaign(index)) {
            await finish()
            return
        }
        do {
            _ = try await electors[0].campaign(as: LeaderElectorConformance.candidate(0))
            violate(.refusesSecondCampaign, "a second campaign on candidate 0's elector was accepted")
        } catch {
            if error.code != .alreadyCampaigning {
                violate(.refusesSecondCampaign, "a second campaign failed with \(error.code), not alreadyCampaigning")
            }
        }

        guard await wait({ soleLeader($0) != nil }) else {
            let leading = ledger.withLock { $0.leading.keys.sorted() }
            violate(.electsALeader, "after \(configuration.timeout) the leaders are \(leading), not exactly one")
            await finish()
            return
        }
        await settle()
        guard let first = ledger.withLock({ soleLeader($0) }) else {
            let leading = ledger.withLock { $0.leading.keys.sorted() }
            violate(.electsALeader, "after the election settled the leaders are \(leading), not exactly one")
            await finish()
            return
        }
        for index in Set([first, (first + 1) % electors.count]).sorted() {
            do {
                let named = try await electors[index].currentLeader()
                if named != LeaderElectorConformance.candidate(first) {
                    violate(.electsALeader, "candidate \(index)'s currentLeader() is \(named.map { "\($0.id)" } ?? "nil"), not conformance-\(first)")
                }
            } catch {
                violate(.electsALeader, "candidate \(index)'s currentLeader() threw \(error)")
            }
        }

        for handover in 0..<configuration.handovers {
            setPhase("handover \(handover + 1)")
            guard let leader = ledger.withLock({ soleLeader($0) }) else { break }
            let generation = generations[leader]
            await electors[leader].resign()
            let ended = await wait { $0.finishedGeneration[leader] == generation }
            if !ended {
                violate(.resignEndsCampaign, "candidate \(leader)'s stream did not finish within \(configuration.timeout) of resign()")
            } else if ledger.withLock({ $0.lostSinceElected[leader] != true }) {
                violate(.resignEndsCampaign, "candidate \(leader) resigned as leader but its stream finished without .lost")
            }
            if applies(.resignHandsOver), electors.count > 1 {
                if !(await wait { ledger in ledger.leading.keys.contains { $0 != leader } }) {
                    violate(.resignHandsOver, "nobody was elected within \(configuration.timeout) after candidate \(leader) resigned")
                }
            }
            guard await campaign(leader) else { break }
            if !(await wait { soleLeader($0) != nil }) {
                violate(.electsALeader, "no single leader within \(configuration.timeout) after candidate \(leader) campaigned again")
                break
            }
            await settle()
        }

        if let disrupt = configuration.disrupt, let leader = ledger.withLock({ soleLeader($0) }) {
            setPhase("disruption")
            let epoch = ledger.withLock { $0.leading[leader]! }
            do {
                try await disrupt(leader)
                if !(await wait { $0.lostSinceElected[leader] == true }) {
                    violate(.lostOnLoss, "candidate \(leader) was disrupted but said nothing within \(configuration.timeout)")
                } else if !(await wait { ledger in ledger.leading.values.contains { $0 > epoch } }) {
                    violate(.lostOnLoss, "no leader with an epoch above \(epoch) within \(configuration.timeout) after candidate \(leader) lost")
                }
            } catch {
                violate(.lostOnLoss, "disrupt(\(leader)) threw \(error)")
            }
        }
        await finish()
    }
}
