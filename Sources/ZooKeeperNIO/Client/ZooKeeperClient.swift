import Logging
import NIOCore

/// A ZooKeeper client: one session, kept across connection losses and server failures.
///
/// ```swift
/// let client = try await ZooKeeperClient.connect(configuration: .init(connectString: "127.0.0.1:2181/app"))
/// try await client.create("/config", data: Array("on".utf8))
/// let (node, watch) = try await client.watchData("/config")
/// let change = try await watch.event      // fires once, when /config changes
/// try await client.close()
/// ```
///
/// Every method may be called from any task, concurrently: requests are pipelined on one
/// connection and their replies matched in order. A request made while the client is between
/// connections waits for the next one (up to ``Configuration-swift.struct/connectionTimeout``); a request in
/// flight when a connection is lost fails with ``ZooKeeperError/Code-swift.struct/connectionLoss`` (it may or may
/// not have been applied). Cancelling the calling task makes the call throw `CancellationError`
/// at once; the request, if already sent, still runs on the server.
///
/// Call ``close()`` when done (or use ``withClient(configuration:_:)``): until then the client
/// keeps its session and its connection, pinging the server.
public final class ZooKeeperClient: Sendable {
    let session: Session
    private let allocator = ByteBufferAllocator()

    private init(session: Session) {
        self.session = session
    }

    /// Connects to one of the configured servers and opens (or resumes) a session.
    /// - Throws: ``ZooKeeperError``: ``ZooKeeperError/Code-swift.struct/badArguments`` for a malformed connect string,
    ///   ``ZooKeeperError/Code-swift.struct/connectionLoss`` when no server answered within the connection timeout,
    ///   ``ZooKeeperError/Code-swift.struct/sessionExpired`` when the session to resume is gone.
    public static func connect(configuration: Configuration) async throws -> ZooKeeperClient {
        let connectString = try ConnectString(configuration.connectString)
        let client = ZooKeeperClient(session: Session(configuration: configuration, connectString: connectString))
        client.session.start()
        do {
            _ = try await client.session.connection()
            return client
        } catch {
            client.session.end(.closed, error: ZooKeeperError(.closed, "connect failed"))?.close()
            throw error
        }
    }

    /// Connects, runs `body` with the client, and closes the client whatever `body` does.
    @discardableResult
    public static func withClient<Result: Sendable>(
        configuration: Configuration, _ body: (ZooKeeperClient) async throws -> Result
    ) async throws -> Result {
        let client = try await connect(configuration: configuration)
        do {
            let result = try await body(client)
            try? await client.close()
            return result
        } catch {
            try? await client.close()
            throw error
        }
    }

    /// Ends the session (its ephemeral nodes are deleted at once) and closes the connection.
    /// Pending watches fail with ``ZooKeeperError/Code-swift.struct/closed``. Calling it again does nothing.
    /// When the client is between connections, nothing can be sent: the server expires the session
    /// after its timeout.
    public func close() async throws {
        guard let connection = session.end(.closed, error: ZooKeeperError(.closed, ZooKeeperError.Code.closed.explanation)) else { return }
        defer { connection.close() }
        _ = try await send(.closeSession, on: connection, watch: nil)
    }

    /// The session's id, as the server assigned it.
    public var sessionID: Int64 { session.credentials.id }
    /// The session's password; with ``sessionID``, what another client needs to resume the session.
    public var sessionPassword: [UInt8] { session.credentials.password }
    /// The session timeout the server granted (it clamps the requested one to its bounds).
    public var sessionTimeout: Duration { session.negotiatedTimeout }
    /// The server the client is connected to now, or `nil` between connections.
    public var connectedServer: ServerAddress? { session.currentServer }
    /// The last connection event: ``ConnectionState/connected`` once ``connect(configuration:)`` returned, and so on.
    public var state: ConnectionState { session.lastEvent ?? .connected }

    /// The connection events from now on, beginning with the current ``state``; the stream finishes
    /// after ``ConnectionState/expired`` or ``ConnectionState/closed``.
    public func connectionStates() -> AsyncStream<ConnectionState> { session.events() }

    /// The executor of the event loop this client's connections run on, for callers that keep
    /// many requests in flight.
    ///
    /// A task that prefers it runs its nonisolated code on that loop's thread, as do its child tasks:
    ///
    /// ```swift
    /// try await withTaskExecutorPreference(client.taskExecutor) {
    ///     try await withThrowingTaskGroup(of: Void.self) { group in
    ///         for path in paths { group.addTask { try await client.create(path) } }
    ///         try await group.waitForAll()
    ///     }
    /// }
    /// ```
    ///
    /// A reply then resumes its caller on the thread that read it, and the caller's next request
    /// joins the batch the loop writes next, instead of waking a thread of the cooperative pool for
    /// each reply and the loop for each batch of requests: the client's CPU per operation with 100
    /// requests in flight falls by about half (see `docs/performance.md`). Every connection of the
    /// session uses the same loop (one of ``Configuration-swift.struct/eventLoopGroup``'s), so the
    /// executor stays valid across reconnections.
    ///
    /// Code run this way must not block (no locks held long, no synchronous I/O, no
    /// `EventLoopFuture.wait()`): while it runs, this client reads and writes nothing, and neither
    /// do other channels on the loop. Without the preference, calls work the same, from any thread.
    public var taskExecutor: any TaskExecutor { session.executor }

    // MARK: Sending

    /// Sends `request` on the current (or next) connection and waits for its reply.
    /// A request that never left because its connection closed first goes on the next connection.
    func submit(_ request: Request, watch: PendingWatch? = nil) async throws -> Reply {
        while true {
            let connection = try await session.connection()
            do {
                return try await send(request, on: connection, watch: watch)
            } catch let error as ZooKeeperError where error.code == .notSent {
                await session.connectionLost(connection)
                continue
            }
        }
    }

    private func send(_ request: Request, on connection: Connection, watch: PendingWatch?) async throws -> Reply {
        let outbound = OutboundRequest(
            packet: request.packet(allocator: allocator), shape: request.replyShape, slot: ReplySlot(), watch: watch)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                if outbound.slot.install(continuation) { connection.send(outbound) }
            }
        } onCancel: {
            outbound.slot.cancel()
        }
    }

    /// Runs `body`, re-throwing a ``ZooKeeperError`` with a message naming `operation` and `path`.
    func naming<T>(_ operation: String, _ path: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as ZooKeeperError {
            throw ZooKeeperError(error.code, "\(operation) \(path): \(error.message)", path: path, operationErrors: error.operationErrors)
        }
    }

    /// The server-side path of a client path, after checking it.
    func serverPath(_ path: String, sequential: Bool = false) throws -> String {
        try validatePath(path, sequential: sequential)
        return session.connectString.serverPath(path)
    }

    /// The client path of a server-side path.
    func clientPath(_ serverPath: String) -> String {
        session.connectString.clientPath(serverPath)
    }
}

/// A reply that does not have the shape its request expects: a bug on one side or the other.
func unexpected(_ reply: Reply) -> ZooKeeperError {
    ZooKeeperError(.marshallingError, "unexpected reply \(reply)")
}
