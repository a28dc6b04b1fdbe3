import FoundationEssentials
public import Logging
public import RoostCore
import Synchronization
public import ZooKeeperNIO

/// A leader elector on ZooKeeper, for several masters in several processes (Mesos' `--zk`).
///
/// It follows the ZooKeeper recipe. Each candidate creates an ephemeral-sequential node
/// `<guid>-info_NNNNNNNNNN` under ``Configuration-swift.struct/electionPath`` holding its
/// `MasterInfo` as JSON; the guid lets a candidate find its node again when the reply to the
/// create was lost. The lowest sequence leads. Every other candidate watches only the node
/// just before its own (no herd effect) and, when woken, lists the children again rather than
/// assuming it leads now. The epoch of a leader is its node's `czxid`: the zxid of the
/// transaction that created it, which grows with every write to the ensemble, so epochs
/// strictly increase even if the election path is deleted and re-created.
///
/// A follower says `.leaderChanged` when it lists the candidates: when it joins and whenever its
/// predecessor goes. Since it watches only its predecessor, it is not woken when a leader further
/// ahead hands over; ``currentLeader()`` and ``MasterDetector`` always answer with the leader now.
///
/// Failure handling:
/// - **Connection lost** (the client reports `suspended`, after two thirds of the session
///   timeout in silence): a leader says `.lost` at once, before the server could expire its
///   session and let another candidate in. When it reconnects it deletes its old node and
///   joins again at the back, so it never resumes leadership with an old epoch.
/// - **Session expired**: the node is gone; the elector opens a new session and a new candidacy.
/// - **Resign**: `.lost` first, then the node is deleted and the session closed, so the next
///   candidate takes over within a round trip or two.
///
/// One elector campaigns for one candidate at a time; ``currentLeader()`` works whether it
/// campaigns or not. Each campaign runs in a task the elector owns; ``resign()`` ends it and
/// waits for its clean-up, and the `Master` calls it when its own run is cancelled.
public final class ZooKeeperLeaderElector: LeaderElector {
    /// The elector's settings.
    public struct Configuration: Sendable {
        /// How to reach ZooKeeper: servers, optional chroot, session timeout (default 10 s), logger.
        public var client: ZooKeeperClient.Configuration
        /// The node the candidates' nodes are created under (created if missing), such as `/roost/leader`.
        public var electionPath: String
        /// The pause before trying again after ZooKeeper could not be reached or failed a request.
        /// Default 1 s.
        public var retryDelay: Duration = .seconds(1)
        /// Where the elector logs its candidacy (info) and failures (warning).
        /// Default: a logger that discards everything.
        public var logger = Logger(label: "roost.election", factory: { _ in SwiftLogNoOpLogHandler() })

        /// A configuration from a client configuration and the election path.
        public init(client: ZooKeeperClient.Configuration, electionPath: String) {
            self.client = client
            self.electionPath = electionPath
        }

        /// A configuration for the cluster at `url` (its ``ZooKeeperURL/electionPath``).
        public init(url: ZooKeeperURL, sessionTimeout: Duration = .seconds(10)) {
            var client = ZooKeeperClient.Configuration(connectString: url.connectString)
            client.sessionTimeout = sessionTimeout
            self.init(client: client, electionPath: url.electionPath)
        }
    }

    private struct Campaign {
        var task: Task<Void, Never>
        var client: ZooKeeperClient?
        var leading = false
    }

    private enum SessionOutcome {
        case ended
        case resigned
    }

    private enum Signal: Sendable {
        case connection(ConnectionState)
        case watchFired(generation: Int)
    }

    /// The settings this elector was made with.
    public let configuration: Configuration
    private let campaignState = Mutex<Campaign?>(nil)

    /// Creates an elector; nothing is contacted until ``campaign(as:)`` or ``currentLeader()``.
    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Whether this elector's candidate leads now, as its last event said.
    public var isLeading: Bool { campaignState.withLock { $0?.leading ?? false } }

    /// Joins the election as `candidate`; the events follow in the returned stream.
    ///
    /// Returns at once: connecting, creating the node and the first event happen in the
    /// background. While ZooKeeper cannot be reached the elector keeps trying every
    /// ``Configuration-swift.struct/retryDelay`` and says nothing.
    /// - Throws: ``ElectionError`` with `.alreadyCampaigning` when this elector campaigns
    ///   already, `.invalidConfiguration` when the election path is not a valid absolute path.
    public func campaign(as candidate: MasterInfo) async throws(ElectionError) -> AsyncStream<LeadershipEvent> {
        let path = configuration.electionPath
        guard path.hasPrefix("/"), path.count > 1, !path.hasSuffix("/"), !path.contains("//") else {
            throw ElectionError(.invalidConfiguration, "electionPath \(String(reflecting: path)) is not an absolute ZooKeeper path such as /roost/leader")
        }
        let (stream, continuation) = AsyncStream<LeadershipEvent>.makeStream()
        let started: Bool = campaignState.withLock { state in
            guard state == nil else { return false }
            let task = Task { await self.runCampaign(candidate, continuation) }
            state = Campaign(task: task)
            return true
        }
        guard started else {
            throw ElectionError(.alreadyCampaigning, "this elector already campaigns; resign first")
        }
        return stream
    }

    /// Leaves the election: a leader says `.lost`, then its node is deleted (the next candidate
    /// takes over at once) and the session closed; the stream finishes. Returns when done.
    public func resign() async {
        guard let task = campaignState.withLock({ $0?.task }) else { return }
        task.cancel()
        await task.value
        // Only this campaign's record: a new campaign may have started meanwhile.
        campaignState.withLock { if $0?.task == task { $0 = nil } }
    }

    /// The leader according to ZooKeeper now: the `MasterInfo` in the lowest candidate node,
    /// or `nil` when there is none. Uses the campaign's session when there is one, else a short one.
    /// - Throws: ``ElectionError`` with `.unavailable` when ZooKeeper cannot be reached,
    ///   `.invalidConfiguration` when the leader node does not hold a `MasterInfo`.
    public func currentLeader() async throws(ElectionError) -> MasterInfo? {
        let path = configuration.electionPath
        do {
            if let client = campaignState.withLock({ $0?.client }), client.state != .suspended {
                return try await ElectionNodes.leader(electionPath: path, client: client)?.info
            }
            return try await ZooKeeperClient.withClient(configuration: configuration.client) { client in
                try await ElectionNodes.leader(electionPath: path, client: client)?.info
            }
        } catch {
            throw ElectionNodes.electionError(error, "reading the leader of \(path)")
        }
    }

    // MARK: - The campaign

    private var logger: Logger { configuration.logger }

    private func setLeading(_ leading: Bool) { campaignState.withLock { $0?.leading = leading } }

    private func runCampaign(_ candidate: MasterInfo, _ events: AsyncStream<LeadershipEvent>.Continuation) async {
        let data = ElectionNodes.encode(candidate)
        defer { events.finish() }
        while !Task.isCancelled {
            let client: ZooKeeperClient
            do {
                client = try await ZooKeeperClient.connect(configuration: configuration.client)
            } catch {
                logger.warning("cannot reach ZooKeeper; retrying", metadata: ["error": "\(error)", "path": "\(configuration.electionPath)"])
                try? await Task.sleep(for: configuration.retryDelay)
                continue
            }
            campaignState.withLock { $0?.client = client }
            let outcome = await candidacy(candidate, data: data, client: client, events: events)
            campaignState.withLock { $0?.client = nil }
            if outcome == .resigned { return }
        }
    }

    /// One session's candidacy: returns when the session ended (expired) or the campaign was cancelled
    /// (resigned, after cleaning up).
    private func candidacy(
        _ candidate: MasterInfo, data: [UInt8], client: ZooKeeperClient, events: AsyncStream<LeadershipEvent>.Continuation
    ) async -> SessionOutcome {
        let path = configuration.electionPath
        let guid = UUID().uuidString.lowercased()
        let (signals, sink) = AsyncStream<Signal>.makeStream()
        return await withDiscardingTaskGroup { group in
            group.addTask {
                for await state in client.connectionStates() { sink.yield(.connection(state)) }
            }
            var node: (name: String, epoch: LeaderEpoch)?
            var leading = false
            var suspended = false
            var rejoin = false
            var announced: MasterInfo??
            var generation = 0
            var iterator = signals.makeAsyncIterator()

            func stepDown(_ why: String) {
                guard leading else { return }
                leading = false
                setLeading(false)
                logger.warning("stepping down", metadata: ["reason": "\(why)", "candidate": "\(candidate.id)"])
                events.yield(.lost)
            }

            func finish(_ outcome: SessionOutcome) async -> SessionOutcome {
                group.cancelAll()
                if outcome == .resigned {
                    stepDown("resigned")
                    let name = node?.name
                    // The campaign task is cancelled; ZooKeeper calls run in a fresh task.
                    let connected = !suspended
                    await Task {
                        // Disconnected, a delete would wait for a connection: closing is enough
                        // (the server drops the node when the session ends or expires).
                        if let name, connected { try? await client.delete(path + "/" + name) }
                        try? await client.close()
                    }.value
                } else {
                    stepDown("session ended")
                    try? await client.close()
                }
                return outcome
            }

            while true {
                if !suspended && !Task.isCancelled {
                    do {
                        if rejoin, let old = node {
                            // Stepped down while disconnected: give up the old node, join at the back.
                            do { try await client.delete(path + "/" + old.name) } catch let error as ZooKeeperError where error.code == .noNode {}
                            node = nil
                            rejoin = false
                        }
                        if node == nil {
                            node = try await createNode(guid: guid, data: data, client: client)
                            logger.info("joined the election", metadata: ["node": "\(path)/\(node!.name)", "candidate": "\(candidate.id)"])
                        }
                        let candidates = ElectionNodes.candidates(try await client.getChildren(path).children)
                        guard let mine = node, let index = candidates.firstIndex(where: { $0.name == mine.name }) else {
                            logger.warning("my election node is gone; joining again", metadata: ["candidate": "\(candidate.id)"])
                            stepDown("election node deleted")
                            node = nil
                            continue
                        }
                        generation += 1
                        let watched: String
                        if index == 0 {
                            watched = mine.name
                            if !leading {
                                leading = true
                                setLeading(true)
                                announced = .some(nil)
                                logger.info("elected", metadata: ["epoch": "\(mine.epoch)", "candidate": "\(candidate.id)"])
                                events.yield(.elected(epoch: mine.epoch))
                            }
                        } else {
                            stepDown("a candidate ahead of me")  // cannot happen: sequences only grow
                            let leaderName = candidates[0].name
                            watched = candidates[index - 1].name
                            let leaderInfo: MasterInfo?
                            do {
                                leaderInfo = ElectionNodes.decode(try await client.getData(path + "/" + leaderName).data)
                            } catch let error as ZooKeeperError where error.code == .noNode {
                                continue  // the leader just left: list again
                            }
                            if announced != .some(leaderInfo) {
                                announced = .some(leaderInfo)
                                events.yield(.leaderChanged(leaderInfo))
                            }
                        }
                        // Watch only my predecessor (or my own node when leading): never the whole list.
                        let (stat, watch) = try await client.watchExists(path + "/" + watched)
                        if stat == nil { continue }  // gone already: list again
                        let armed = generation
                        group.addTask {
                            if (try? await watch.event) != nil { sink.yield(.watchFired(generation: armed)) }
                        }
                    } catch let error as ZooKeeperError where error.code == .sessionExpired || error.code == .closed {
                        return await finish(.ended)
                    } catch let error as ZooKeeperError where error.code == .connectionLoss {
                        // The connection signal that follows decides what to do.
                    } catch is CancellationError {
                        return await finish(.resigned)
                    } catch {
                        logger.warning("election request failed; retrying", metadata: ["error": "\(error)"])
                        try? await Task.sleep(for: configuration.retryDelay)
                        continue
                    }
                }
                // Wait for something that may change who leads.
                waiting: while true {
                    guard let signal = await iterator.next(), !Task.isCancelled else { return await finish(.resigned) }
                    switch signal {
                    case .watchFired(let fired):
                        if fired == generation { break waiting }
                    case .connection(.suspended):
                        suspended = true
                        if leading {
                            stepDown("connection to ZooKeeper lost")
                            rejoin = true
                        }
                    case .connection(.connected), .connection(.reconnected):
                        if suspended {
                            suspended = false
                            break waiting
                        }
                    case .connection(.expired), .connection(.closed):
                        logger.warning("ZooKeeper session ended; starting a new one", metadata: ["candidate": "\(candidate.id)"])
                        return await finish(.ended)
                    }
                }
            }
        }
    }

    /// Creates this candidacy's node, unless one with its guid exists already (a create whose
    /// reply was lost with the connection may have been applied): never two nodes for one candidacy.
    private func createNode(guid: String, data: [UInt8], client: ZooKeeperClient) async throws -> (name: String, epoch: LeaderEpoch) {
        let path = configuration.electionPath
        let prefix = ElectionNodes.prefix(guid: guid)
        while true {
            do {
                let children = try await client.getChildren(path).children
                if let mine = children.first(where: { $0.hasPrefix(prefix) }), let stat = try await client.exists(path + "/" + mine) {
                    return (mine, LeaderEpoch(UInt64(bitPattern: stat.czxid)))
                }
                let (created, stat) = try await client.create2(path + "/" + prefix, data: data, mode: .ephemeralSequential)
                return (String(created.split(separator: "/").last ?? ""), LeaderEpoch(UInt64(bitPattern: stat.czxid)))
            } catch let error as ZooKeeperError where error.code == .noNode {
                try await ElectionNodes.ensurePath(path, client: client)
            }
        }
    }
}
