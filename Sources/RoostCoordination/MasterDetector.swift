public import Logging
public import RoostCore
import Synchronization
public import ZooKeeperNIO

/// Finds the leading master through ZooKeeper and follows changes: what agents, schedulers and
/// the CLI use to know where to connect (Mesos' `MasterDetector`).
///
/// It reads the election a ``ZooKeeperLeaderElector`` runs: the leader is the `MasterInfo` in
/// the candidate node with the lowest sequence. It never campaigns.
///
/// ```swift
/// let detector = MasterDetector(configuration: .init(url: try ZooKeeperURL("zk://zk1:2181/roost")))
/// for await leader in detector.leaderChanges() {
///     print(leader.map(\.address) ?? "no leader")
/// }
/// ```
public final class MasterDetector: Sendable {
    /// The detector's settings.
    public struct Configuration: Sendable {
        /// How to reach ZooKeeper: servers, optional chroot, session timeout (default 10 s), logger.
        public var client: ZooKeeperClient.Configuration
        /// The node the candidates' nodes live under, such as `/roost/leader`.
        public var electionPath: String
        /// The pause before trying again after ZooKeeper could not be reached. Default 1 s.
        public var retryDelay: Duration = .seconds(1)
        /// Where the detector logs failures (warning). Default: a logger that discards everything.
        public var logger = Logger(label: "roost.detector", factory: { _ in SwiftLogNoOpLogHandler() })

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

    /// The settings this detector was made with.
    public let configuration: Configuration

    /// Creates a detector; nothing is contacted until it is asked.
    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Who leads now, read once over a short session; `nil` when nobody does.
    /// - Throws: ``ElectionError`` with `.unavailable` when ZooKeeper cannot be reached within the
    ///   client's connection timeout, `.invalidConfiguration` when the leader node holds no `MasterInfo`.
    public func currentLeader() async throws(ElectionError) -> MasterInfo? {
        let path = configuration.electionPath
        do {
            return try await ZooKeeperClient.withClient(configuration: configuration.client) { client in
                try await ElectionNodes.leader(electionPath: path, client: client)?.info
            }
        } catch {
            throw ElectionNodes.electionError(error, "reading the leader of \(path)")
        }
    }

    /// The leader now and after every change (`nil` while nobody leads), each distinct from the one before.
    ///
    /// The first element comes once ZooKeeper answered. The detector watches only the leader's
    /// node (or, while nobody leads, the election's children), so candidates joining or leaving
    /// behind the leader cost nothing. While the connection is lost it keeps quiet and reads
    /// again on reconnection; after a session expiry it opens a new session. The stream runs
    /// until its consumer stops iterating (or its task is cancelled), then closes its session.
    public func leaderChanges() -> AsyncStream<MasterInfo?> {
        let (stream, continuation) = AsyncStream<MasterInfo?>.makeStream()
        let task = Task { await self.follow(continuation) }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    private enum Signal: Sendable {
        case connection(ConnectionState)
        case changed
    }

    private func follow(_ output: AsyncStream<MasterInfo?>.Continuation) async {
        let path = configuration.electionPath
        var last: MasterInfo??
        while !Task.isCancelled {
            let client: ZooKeeperClient
            do {
                client = try await ZooKeeperClient.connect(configuration: configuration.client)
            } catch {
                configuration.logger.warning("cannot reach ZooKeeper; retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: configuration.retryDelay)
                continue
            }
            let (signals, sink) = AsyncStream<Signal>.makeStream()
            await withDiscardingTaskGroup { group in
                group.addTask {
                    for await state in client.connectionStates() { sink.yield(.connection(state)) }
                }
                var iterator = signals.makeAsyncIterator()
                session: while !Task.isCancelled {
                    do {
                        let leader = try await ElectionNodes.leader(electionPath: path, client: client)
                        if last != .some(leader?.info) {
                            last = .some(leader?.info)
                            output.yield(leader?.info)
                        }
                        let watch: ZooKeeperWatch
                        if let leader {
                            let (stat, leaderWatch) = try await client.watchExists(path + "/" + leader.node)
                            if stat == nil { continue }
                            watch = leaderWatch
                        } else if try await client.exists(path) == nil {
                            let (stat, pathWatch) = try await client.watchExists(path)
                            if stat != nil { continue }
                            watch = pathWatch
                        } else {
                            watch = try await client.watchChildren(path).watch
                        }
                        group.addTask { if (try? await watch.event) != nil { sink.yield(.changed) } }
                    } catch let error as ZooKeeperError where error.code == .sessionExpired || error.code == .closed {
                        break session
                    } catch let error as ZooKeeperError where error.code == .connectionLoss {
                        // Wait for the connection signal.
                    } catch is CancellationError {
                        break session
                    } catch {
                        configuration.logger.warning("reading the leader failed; retrying", metadata: ["error": "\(error)"])
                        try? await Task.sleep(for: configuration.retryDelay)
                        continue
                    }
                    waiting: while true {
                        guard let signal = await iterator.next() else { break session }
                        switch signal {
                        case .changed, .connection(.reconnected), .connection(.connected): break waiting
                        case .connection(.suspended): continue
                        case .connection(.expired), .connection(.closed): break session
                        }
                    }
                }
                group.cancelAll()
                await Task { try? await client.close() }.value
            }
        }
        output.finish()
    }
}
