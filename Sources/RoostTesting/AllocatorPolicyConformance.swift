public import RoostCore
import Synchronization

/// A conformance suite for ``RoostCore/AllocatorPolicy``: one call a plugin author runs
/// against their own policy to check it against the contract the master relies on.
///
/// The suite drives the real `AllocationEngine` with the policy through randomized
/// but seeded scenarios: a few agents with mixed resources (some with role
/// reservations, ports and sets), a few frameworks with one or two roles, and
/// random sequences of allocation cycles, launches that keep part of an offer,
/// declines with and without refuse filters, suppress and revive, frameworks
/// and agents joining and leaving (their names and candidate IDs reused),
/// time passing beyond filter expiry, role weights and priority changes, and
/// `replacePolicy` with a fresh policy mid-run. After every step it checks the
/// invariants in ``ConformanceCheck``; on every `pick` the engine makes it also
/// calls the policy directly (on a copy, so the run is not disturbed) with an
/// `isEligible` that allows only a random subset of candidates, because the
/// engine's own answers would hide some violations.
///
/// It is independent of any test framework; call it from your own test:
///
/// ```swift
/// @Test func myPolicyConforms() throws {
///     try AllocatorPolicyConformance.verify { MyPolicy() }
/// }
/// ```
///
/// A violation names the check, the seed and the step, so it can be reproduced
/// alone with `Configuration(seeds: seed...seed)`. The suite cannot catch a
/// policy that traps or loops forever; such a policy stops the test process.
public enum AllocatorPolicyConformance {
    /// What the suite runs and which checks it applies.
    public struct Configuration: Sendable {
        /// The scenarios to run, one per seed. Default `1...20`.
        public var seeds: ClosedRange<UInt64>
        /// Random operations per scenario after the initial three agents and three
        /// frameworks. Default 80.
        public var steps: Int
        /// Checks not to apply. Default none.
        ///
        /// A policy that deliberately holds resources back (and says why in
        /// ``RoostCore/AllocatorPolicy/explain(_:recipients:)``) skips
        /// ``ConformanceCheck/workConserving``; the shipped policies skip nothing.
        public var skipping: Set<ConformanceCheck>

        /// Creates a configuration; the defaults run every check over seeds 1 to 20.
        public init(seeds: ClosedRange<UInt64> = 1...20, steps: Int = 80, skipping: Set<ConformanceCheck> = []) {
            self.seeds = seeds
            self.steps = max(0, steps)
            self.skipping = skipping
        }
    }

    /// Runs every scenario and returns what the policy got wrong; an empty list means it conforms.
    ///
    /// `makePolicy` is called for every fresh policy the suite needs: two per
    /// scenario (the one under test and a twin fed the same calls, to check
    /// determinism) and two more for every `replacePolicy`. Each must start in
    /// the same state. Only the first violation of each check per seed is
    /// reported, in seed order.
    public static func check(_ configuration: Configuration = Configuration(), _ makePolicy: () -> any AllocatorPolicy) -> [ConformanceViolation] {
        var violations: [ConformanceViolation] = []
        for seed in configuration.seeds {
            var scenario = ConformanceScenario(seed: seed, configuration: configuration, makePolicy: makePolicy)
            scenario.run(steps: configuration.steps, makePolicy: makePolicy)
            violations += scenario.log.violations
        }
        return violations
    }

    /// Runs every scenario and throws if the policy broke any check.
    ///
    /// - Throws: ``ConformanceFailure`` listing every violation ``check(_:_:)`` found.
    public static func verify(_ configuration: Configuration = Configuration(), _ makePolicy: () -> any AllocatorPolicy) throws(ConformanceFailure) {
        let violations = check(configuration, makePolicy)
        guard !violations.isEmpty else { return }
        throw ConformanceFailure(policy: makePolicy().name, violations: violations)
    }
}

/// One rule of the ``RoostCore/AllocatorPolicy`` contract the conformance suite checks.
///
/// An extensible set of named values, compared with `==`; pass some to
/// ``AllocatorPolicyConformance/Configuration/skipping`` to opt out of them.
public struct ConformanceCheck: Hashable, Sendable, CustomStringConvertible {
    /// The check's name, such as `workConserving`.
    public let name: String

    /// Creates a check with a name; the suite's checks are the static members.
    public init(_ name: String) { self.name = name }

    /// The check's name.
    public var description: String { name }

    /// Never offers more than is free: each allocation of a cycle comes out of what was
    /// free on its agent before the cycle, holds only resources allocatable to its role,
    /// and what all frameworks hold on an agent never exceeds the agent's total.
    public static let offersOnlyFree = ConformanceCheck("offersOnlyFree")

    /// Never offers one resource twice: no two outstanding allocations on an agent
    /// share a port or a set item, or add up to more than the agent has.
    public static let offersOnce = ConformanceCheck("offersOnce")

    /// `pick` returns only a candidate it asked `isEligible` about and was told `true`,
    /// checked both on the engine's own calls and with a random subset allowed.
    public static let honoursEligibility = ConformanceCheck("honoursEligibility")

    /// Through the engine, a suppressed candidate, or one with an unexpired decline filter
    /// covering what the agent would offer it, receives nothing.
    public static let respectsSuppressionAndFilters = ConformanceCheck("respectsSuppressionAndFilters")

    /// When some registered candidate is eligible, `pick` returns one. A policy that
    /// deliberately holds resources back may skip this check.
    public static let workConserving = ConformanceCheck("workConserving")

    /// Two policies built by `makePolicy` and fed the same calls give the same answers.
    public static let deterministic = ConformanceCheck("deterministic")

    /// `replacePolicy` with a fresh policy keeps every framework's allocation and every
    /// agent's free resources.
    public static let keepsAllocationsOnReplace = ConformanceCheck("keepsAllocationsOnReplace")

    /// A removed candidate is never picked again, even when `isEligible` would allow its
    /// ID; a new candidate that reuses the ID is picked as itself.
    public static let forgetsRemovedCandidates = ConformanceCheck("forgetsRemovedCandidates")

    /// The engine accepted every operation the scenario derived from its own state and its
    /// books agree with the offers made. A violation here points at the engine or the
    /// suite rather than the policy.
    public static let engineConsistency = ConformanceCheck("engineConsistency")

    /// Every check the suite runs, in the order above.
    public static let all: [ConformanceCheck] = [
        .offersOnlyFree, .offersOnce, .honoursEligibility, .respectsSuppressionAndFilters,
        .workConserving, .deterministic, .keepsAllocationsOnReplace, .forgetsRemovedCandidates,
        .engineConsistency,
    ]
}

/// One thing a policy got wrong in a conformance scenario: which check, where, and what happened.
///
/// Rerun the scenario alone with
/// `AllocatorPolicyConformance.check(.init(seeds: seed...seed)) { MyPolicy() }`.
public struct ConformanceViolation: Hashable, Sendable, CustomStringConvertible {
    /// The rule that was broken.
    public var check: ConformanceCheck
    /// The scenario's seed.
    public var seed: UInt64
    /// The step of the scenario (0 is the setup) at which it was broken.
    public var step: Int
    /// The operation that step performed, such as `allocate at 12s`.
    public var operation: String
    /// What happened, naming the agent, candidates and resources.
    public var message: String

    /// Creates a violation.
    public init(check: ConformanceCheck, seed: UInt64, step: Int, operation: String, message: String) {
        self.check = check
        self.seed = seed
        self.step = step
        self.operation = operation
        self.message = message
    }

    /// `check (seed S, step N: operation): message`.
    public var description: String { "\(check) (seed \(seed), step \(step): \(operation)): \(message)" }
}

/// Thrown by ``AllocatorPolicyConformance/verify(_:_:)`` when a policy broke the contract.
public struct ConformanceFailure: CodedError, Hashable, Sendable {
    /// What kind of failure this is: ``ErrorCode/policyViolatesContract``.
    public var code: ErrorCode<ConformanceFailure>
    /// The policy's name and every violation, one a line, with how to reproduce the first.
    public var message: String
    /// The policy's ``RoostCore/AllocatorPolicy/name``.
    public var policy: String
    /// Every violation found, in seed order.
    public var violations: [ConformanceViolation]

    /// Creates a failure listing `violations` of `policy`.
    public init(policy: String, violations: [ConformanceViolation]) {
        self.code = .policyViolatesContract
        self.policy = policy
        self.violations = violations
        let checks = ConformanceCheck.all.filter { check in violations.contains { $0.check == check } }
        var lines = ["policy '\(policy)' broke \(checks.map(\.name).joined(separator: ", ")) (\(violations.count) violations):"]
        lines += violations.map { "  - \($0)" }
        if let first = violations.first {
            lines.append("reproduce the first alone with AllocatorPolicyConformance.check(.init(seeds: \(first.seed)...\(first.seed))) { … }")
        }
        message = lines.joined(separator: "\n")
    }
}

extension ErrorCode where Domain == ConformanceFailure {
    /// The policy broke at least one ``ConformanceCheck``.
    public static var policyViolatesContract: Self { Self("policyViolatesContract") }
}

/// Where one scenario's violations are collected: the scenario and the ``CheckedPolicy``
/// inside its engine both report here.
///
/// A class because the policy lives inside the engine, out of the scenario's
/// reach; a `Mutex` makes it `Sendable`, as `AllocatorPolicy` requires, though
/// a scenario runs on one thread.
final class ConformanceLog: Sendable {
    private struct State {
        var step = 0
        var operation = "setup"
        var violations: [ConformanceViolation] = []
        var reported: Set<ConformanceCheck> = []
    }

    let seed: UInt64
    let skipping: Set<ConformanceCheck>
    private let state = Mutex(State())

    init(seed: UInt64, skipping: Set<ConformanceCheck>) {
        self.seed = seed
        self.skipping = skipping
    }

    /// The violations so far: the first of each check.
    var violations: [ConformanceViolation] { state.withLock { $0.violations } }

    func isChecking(_ check: ConformanceCheck) -> Bool { !skipping.contains(check) }

    /// Names the step that follows, for the violations it may cause.
    func begin(step: Int, _ operation: String) {
        state.withLock {
            $0.step = step
            $0.operation = operation
        }
    }

    /// Records a violation unless `check` is skipped or already reported for this seed.
    func report(_ check: ConformanceCheck, _ message: @autoclosure () -> String) {
        guard isChecking(check) else { return }
        state.withLock { state in
            guard state.reported.insert(check).inserted else { return }
            state.violations.append(ConformanceViolation(check: check, seed: seed, step: state.step, operation: state.operation, message: message()))
        }
    }
}
