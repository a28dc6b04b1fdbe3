/// Chooses the one master that acts.
///
/// A master campaigns once and follows the returned events for as long as it
/// runs. Implementations that hold a connection (ZooKeeper) are also
/// swift-service-lifecycle `Service`s, so a `ServiceGroup` starts and stops
/// them with everything else.
///
/// Contract (checked by the conformance suite in RoostTesting):
/// - at most one candidate is elected at any instant;
/// - each `.elected` carries an epoch greater than every epoch elected before
///   in the same election, across all candidates (a fencing token);
/// - `.lost` is said as soon as leadership can no longer be guaranteed
///   (with ZooKeeper: when the connection is suspended, not when the session is
///   finally gone), and the master must stop acting at once;
/// - after ``resign()`` another candidate can be elected promptly.
public protocol LeaderElector: Sendable {
    /// Joins the election as `candidate`, returning the events this candidate sees.
    ///
    /// The sequence ends after ``resign()`` or when the elector shuts down.
    /// - Throws: ``ElectionError`` when already campaigning or the election cannot be joined.
    func campaign(as candidate: MasterInfo) async throws(ElectionError) -> AsyncStream<LeadershipEvent>
    /// Leaves the election; if this candidate leads, leadership passes on at once.
    func resign() async
    /// Who leads now, as far as this elector can tell; `nil` when nobody does.
    /// Anyone (agents, schedulers, the CLI) may ask, campaigning or not.
    func currentLeader() async throws(ElectionError) -> MasterInfo?
}

/// A change of leadership as one candidate sees it.
public enum LeadershipEvent: Hashable, Sendable, Codable {
    /// This candidate now leads, with a fencing token newer than any before it.
    case elected(epoch: LeaderEpoch)
    /// This candidate no longer leads (or cannot be sure it does): stop acting at once.
    case lost
    /// Another candidate leads now, or nobody does (`nil`).
    case leaderChanged(MasterInfo?)
}

/// Why a candidate could not join or query an election.
public struct ElectionError: CodedError, Hashable, Sendable {
    /// What kind of failure this is.
    public var code: ErrorCode<ElectionError>
    /// What went wrong and how to fix it.
    public var message: String

    /// Creates an error.
    public init(_ code: ErrorCode<ElectionError>, _ message: String) {
        self.code = code
        self.message = message
    }

}

extension ErrorCode where Domain == ElectionError {
    /// This elector already campaigns; resign first.
    public static var alreadyCampaigning: Self { Self("alreadyCampaigning") }
    /// The coordination service cannot be reached.
    public static var unavailable: Self { Self("unavailable") }
    /// The elector's configuration is wrong; the message names the field.
    public static var invalidConfiguration: Self { Self("invalidConfiguration") }
    /// The elector was shut down.
    public static var shutDown: Self { Self("shutDown") }
}
