public import RoostCore
import Synchronization

/// A conformance suite for ``RoostCore/LeaderElector``: one call a plugin author runs against
/// their own elector to check the contract the master relies on.
///
/// The suite campaigns with several candidates (one elector each, from `makeElector`) and
/// follows every candidate's events:
/// 1. exactly one candidate is elected, and `currentLeader()` names it;
/// 2. `handovers` times, the leader resigns: its stream says `.lost` and finishes, another
///    candidate is elected (unless ``LeaderElectorCheck/resignHandsOver`` is skipped, for an
///    elector with a fixed leader), and the resigned elector campaigns again;
/// 3. with a `disrupt` hook, the leader is made to lose leadership without resigning (its
///    connection cut, say): it must say `.lost`, and a leader with a newer epoch follows.
///
/// Throughout, no two candidates may lead at once and every `.elected` must carry an epoch
/// greater than all before it. Events are observed as each candidate's stream delivers them,
/// so a handover seen slightly out of order (the old leader's `.lost` consumed after the new
/// leader's `.elected`) is tolerated for ``Configuration-swift.struct/handoverGrace``; the
/// epochs, which fence a deposed leader, must increase regardless.
///
/// ```swift
/// @Test func myElectorConforms() async throws {
///     try await LeaderElectorConformance.verify { _ in MyElector(cluster: testCluster) }
/// }
/// ```
public enum LeaderElectorConformance {
    /// What the suite runs and which checks it applies.
    public struct Configuration: Sendable {
        /// How many candidates campaign. Default 3.
        public var candidates: Int
        /// How many times the leader resigns and campaigns again. Default 2.
        public var handovers: Int
        /// How long to wait for a leader, a `.lost` or a stream's end. Default 15 s.
        public var timeout: Duration
        /// How long two candidates may both appear to lead, as their streams are consumed, before it
        /// counts as a violation. Default 250 ms.
        public var handoverGrace: Duration
        /// Makes the given candidate lose leadership without resigning (cut its connection,
        /// pause its server). Default `nil`: the loss check is not run.
        public var disrupt: (@Sendable (_ candidate: Int) async throws -> Void)?
        /// Checks not to apply. Default none.
        public var skipping: Set<LeaderElectorCheck>

        /// Creates a configuration; see each property for its default.
        public init(
            candidates: Int = 3, handovers: Int = 2, timeout: Duration = .seconds(15), handoverGrace: Duration = .milliseconds(250),
            disrupt: (@Sendable (_ candidate: Int) async throws -> Void)? = nil, skipping: Set<LeaderElectorCheck> = []
        ) {
            self.candidates = max(1, candidates)
            self.handovers = max(0, handovers)
            self.timeout = timeout
            self.handoverGrace = handoverGrace
            self.disrupt = disrupt
            self.skipping = skipping
        }
    }

    /// The `MasterInfo` the suite campaigns with for candidate `index` (id `conformance-<index>`),
    /// for electors that must be configured with their candidates (a fixed leader, say).
    public static func candidate(_ index: Int) -> MasterInfo {
        MasterInfo(id: MasterID("conformance-\(index)"), hostname: "candidate-\(index).test", port: 5050 + index)
    }

    /// Runs the scenario and returns what the elector got wrong; an empty list means it conforms.
    ///
    /// `makeElector` is called once per candidate index (`0..<candidates`); each elector
    /// campaigns as ``candidate(_:)`` of that index. Every elector is resigned before this returns.
    public static func check(
        _ configuration: Configuration = Configuration(), _ makeElector: (_ candidate: Int) async throws -> any LeaderElector
    ) async -> [LeaderElectorViolation] {
        let run = ConformanceRun(configuration: configuration)
        await run.execute(makeElector)
        return run.ledger.withLock { $0.violations }
    }

    /// Runs the scenario and throws if the elector broke any check.
    ///
    /// - Throws: ``LeaderElectorConformanceFailure`` listing every violation ``check(_:_:)`` found.
    public static func verify(
        _ configuration: Configuration = Configuration(), _ makeElector: (_ candidate: Int) async throws -> any LeaderElector
    ) async throws(LeaderElectorConformanceFailure) {
        let violations = await check(configuration, makeElector)
        guard !violations.isEmpty else { return }
        throw LeaderElectorConformanceFailure(violations: violations)
    }
}

/// One rule of the ``RoostCore/LeaderElector`` contract the conformance suite checks.
public struct LeaderElectorCheck: Hashable, Sendable, CustomStringConvertible {
    /// The check's name, such as `singleLeader`.
    public let name: String

    /// Creates a check with a name; the suite's checks are the static members.
    public init(_ name: String) { self.name = name }

    /// The check's name.
    public var description: String { name }

    /// Campaigning candidates elect exactly one leader within the timeout, and `currentLeader()` names it.
    public static let electsALeader = LeaderElectorCheck("electsALeader")
    /// No two candidates lead at once (beyond the handover grace).
    public static let singleLeader = LeaderElectorCheck("singleLeader")
    /// Every `.elected` carries an epoch greater than every epoch elected before it.
    public static let epochsIncrease = LeaderElectorCheck("epochsIncrease")
    /// After `resign()` the old leader's stream says `.lost` and finishes.
    public static let resignEndsCampaign = LeaderElectorCheck("resignEndsCampaign")
    /// After the leader resigns another candidate is elected within the timeout.
    /// An elector with a fixed leader skips it.
    public static let resignHandsOver = LeaderElectorCheck("resignHandsOver")
    /// A leader that loses leadership without resigning says `.lost`, and a newer leader follows.
    public static let lostOnLoss = LeaderElectorCheck("lostOnLoss")
    /// A second `campaign` on a campaigning elector is refused with `.alreadyCampaigning`.
    public static let refusesSecondCampaign = LeaderElectorCheck("refusesSecondCampaign")

    /// Every check the suite runs, in the order above.
    public static let all: [LeaderElectorCheck] = [
        .electsALeader, .singleLeader, .epochsIncrease, .resignEndsCampaign, .resignHandsOver, .lostOnLoss, .refusesSecondCampaign,
    ]
}

/// One thing an elector got wrong: which check, during which phase, and what happened.
public struct LeaderElectorViolation: Hashable, Sendable, CustomStringConvertible {
    /// The rule that was broken.
    public var check: LeaderElectorCheck
    /// The phase of the scenario, such as `handover 2`.
    public var phase: String
    /// What happened, naming the candidates and epochs.
    public var message: String

    /// Creates a violation.
    public init(check: LeaderElectorCheck, phase: String, message: String) {
        self.check = check
        self.phase = phase
        self.message = message
    }

    /// `check (phase): message`.
    public var description: String { "\(check) (\(phase)): \(message)" }
}

/// Thrown by ``LeaderElectorConformance/verify(_:_:)`` when an elector broke the contract.
public struct LeaderElectorConformanceFailure: CodedError, Hashable, Sendable {
    /// What kind of failure this is: ``ErrorCode/electorViolatesContract``.
    public var code: ErrorCode<LeaderElectorConformanceFailure>
    /// Every violation, one a line.
    public var message: String
    /// Every violation found, in the order found.
    public var violations: [LeaderElectorViolation]

    /// Creates a failure listing `violations`.
    public init(violations: [LeaderElectorViolation]) {
        self.code = .electorViolatesContract
        self.violations = violations
        message = (["the elector broke the LeaderElector contract (\(violations.count) violations):"] + violations.map { "  - \($0)" })
            .joined(separator: "\n")
    }
}

extension ErrorCode where Domain == LeaderElectorConformanceFailure {
    /// The elector broke at least one ``LeaderElectorCheck``.
    public static var electorViolatesContract: Self { Self("electorViolatesContract") }
}
