public import RoostCore
import Synchronization

/// A leader fixed by configuration, for single-master deployments and the embedded cluster.
///
/// Each master process has its own elector. The configured master is elected as
/// soon as it campaigns, with an epoch one higher than its previous term; any
/// other candidate is told who the configured leader is and never leads.
/// Nothing is coordinated between processes, so run one master with this
/// elector (use the ZooKeeper elector for several).
public final class StaticLeaderElector: LeaderElector {
    /// The elector's settings.
    public struct Configuration: Sendable {
        /// The one master that leads.
        public var leader: MasterInfo

        /// Creates a configuration.
        public init(leader: MasterInfo) { self.leader = leader }
    }

    private struct State {
        var campaign: (candidate: MasterID, continuation: AsyncStream<LeadershipEvent>.Continuation)?
        var term: UInt64 = 0
    }

    /// The settings this elector was made with.
    public let configuration: Configuration
    private let state = Mutex(State())

    /// Creates an elector with a fixed leader.
    public init(configuration: Configuration) { self.configuration = configuration }

    /// Joins as `candidate`: the configured leader gets `.elected` with a new epoch, any other
    /// candidate `.leaderChanged(leader)`.
    /// - Throws: ``ElectionError`` with `.alreadyCampaigning` when this elector campaigns already.
    public func campaign(as candidate: MasterInfo) async throws(ElectionError) -> AsyncStream<LeadershipEvent> {
        let (stream, continuation) = AsyncStream<LeadershipEvent>.makeStream()
        let leader = configuration.leader
        let event: LeadershipEvent? = state.withLock { state in
            guard state.campaign == nil else { return nil }
            state.campaign = (candidate.id, continuation)
            guard candidate.id == leader.id else { return .leaderChanged(leader) }
            state.term += 1
            return .elected(epoch: LeaderEpoch(state.term))
        }
        guard let event else {
            throw ElectionError(.alreadyCampaigning, "this elector already campaigns; resign first")
        }
        continuation.yield(event)
        return stream
    }

    /// Ends the campaign: a leader's stream gets `.lost`; the stream then finishes.
    public func resign() async {
        let leaderID = configuration.leader.id
        let ended = state.withLock { state in
            defer { state.campaign = nil }
            return state.campaign
        }
        guard let ended else { return }
        if ended.candidate == leaderID { ended.continuation.yield(.lost) }
        ended.continuation.finish()
    }

    /// The configured leader: by configuration it is the one that leads.
    public func currentLeader() async throws(ElectionError) -> MasterInfo? {
        configuration.leader
    }
}
