import Logging
import NIOCore
import Synchronization

/// A session and the connections that carry it: one task connects to the servers in turn,
/// keeps the session across connection losses, and ends when the session expires or the client closes.
final class Session: Sendable {
    let configuration: ZooKeeperClient.Configuration
    let connectString: ConnectString
    let watches = WatchRegistry()
    let zxid = ZxidTracker()
    /// Every connection of the session runs on this loop, so that ``executor`` stays the loop
    /// replies arrive on across reconnections.
    let eventLoop: any EventLoop
    let executor: EventLoopTaskExecutor
    private var logger: Logger { configuration.logger }

    private enum Phase {
        case connecting
        case connected(Connection)
        case expired
        case closed
    }

    private struct Waiter {
        var continuation: CheckedContinuation<Connection, any Error>
        var timeout: Task<Void, Never>?
    }

    private struct State {
        var phase = Phase.connecting
        var credentials: SessionCredentials
        var negotiatedTimeout: Duration
        var everConnected = false
        var lastEvent: ConnectionState?
        var waiters: [Int: Waiter] = [:]
        var observers: [Int: AsyncStream<ConnectionState>.Continuation] = [:]
        var nextID = 0
        var loop: Task<Void, Never>?

        var isOver: Bool {
            switch phase {
            case .expired, .closed: true
            case .connecting, .connected: false
            }
        }

        /// The error for a request when the session is over.
        var endError: ZooKeeperError? {
            switch phase {
            case .expired: ZooKeeperError(.sessionExpired, ZooKeeperError.Code.sessionExpired.explanation)
            case .closed: ZooKeeperError(.closed, ZooKeeperError.Code.closed.explanation)
            case .connecting, .connected: nil
            }
        }

        /// Records `event` and returns the observers to tell.
        mutating func emit(_ event: ConnectionState) -> [AsyncStream<ConnectionState>.Continuation] {
            lastEvent = event
            return Array(observers.values)
        }
    }

    private let state: Mutex<State>

    init(configuration: ZooKeeperClient.Configuration, connectString: ConnectString) {
        self.configuration = configuration
        self.connectString = connectString
        self.eventLoop = configuration.eventLoopGroup.next()
        self.executor = EventLoopTaskExecutor(eventLoop: eventLoop)
        self.state = Mutex(State(
            credentials: configuration.session ?? SessionCredentials(id: 0, password: Array(repeating: 0, count: 16)),
            negotiatedTimeout: configuration.sessionTimeout))
    }

    var credentials: SessionCredentials { state.withLock { $0.credentials } }
    var negotiatedTimeout: Duration { state.withLock { $0.negotiatedTimeout } }
    var currentServer: ServerAddress? {
        state.withLock { if case .connected(let connection) = $0.phase { connection.server } else { nil } }
    }
    var lastEvent: ConnectionState? { state.withLock { $0.lastEvent } }

    /// Starts the connection task.
    func start() {
        let task = Task { await self.run() }
        state.withLock { $0.loop = task }
    }

    /// The current connection, or the next one within the connection timeout.
    func connection() async throws -> Connection {
        if let connection = state.withLock({ state -> Connection? in
            if case .connected(let connection) = state.phase { return connection }
            return nil
        }) {
            return connection
        }
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let immediate = state.withLock { state -> Result<Connection, any Error>? in
                    switch state.phase {
                    case .connected(let connection): return .success(connection)
                    case .expired, .closed: return .failure(state.endError!)
                    case .connecting:
                        if Task.isCancelled { return .failure(CancellationError()) }
                        let timeout = configuration.connectionTimeout
                        let task = Task { [weak self] in
                            guard (try? await Task.sleep(for: timeout)) != nil else { return }
                            self?.failWaiter(id, ZooKeeperError(.connectionLoss, "not connected to any of \(self?.serversText ?? "") within \(timeout)"))
                        }
                        state.waiters[id] = Waiter(continuation: continuation, timeout: task)
                        return nil
                    }
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            failWaiter(id, CancellationError())
        }
    }

    private var serversText: String { connectString.servers.map(\.description).joined(separator: ",") }

    private func failWaiter(_ id: Int, _ error: any Error) {
        let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
        waiter?.timeout?.cancel()
        waiter?.continuation.resume(throwing: error)
    }

    /// A stream of connection events, beginning with the latest one.
    func events() -> AsyncStream<ConnectionState> {
        let (stream, continuation) = AsyncStream.makeStream(of: ConnectionState.self)
        let id = state.withLock { state -> Int? in
            if let last = state.lastEvent { continuation.yield(last) }
            if state.isOver {
                continuation.finish()
                return nil
            }
            defer { state.nextID += 1 }
            state.observers[state.nextID] = continuation
            return state.nextID
        }
        if let id {
            continuation.onTermination = { [weak self] _ in
                _ = self?.state.withLock { $0.observers.removeValue(forKey: id) }
            }
        }
        return stream
    }

    private func run() async {
        let servers = connectString.servers
        var index = Int.random(in: 0..<servers.count)
        var failures = 0
        while !Task.isCancelled {
            guard let request = state.withLock({ state -> ConnectRequest? in
                guard !state.isOver else { return nil }
                return ConnectRequest(
                    lastZxidSeen: zxid.current, timeoutMilliseconds: Int32(clamping: configuration.sessionTimeout.milliseconds),
                    sessionID: state.credentials.id, password: state.credentials.password)
            }) else { return }
            let server = servers[index % servers.count]
            index += 1
            // The Java client gives each attempt the session timeout divided by the number of servers;
            // a third of that leaves time for more tries before the session expires when a server
            // accepts the TCP connection but swallows the handshake (as one does while starting up).
            let perServer = max(negotiatedTimeout / (3 * servers.count), .milliseconds(500))
            do {
                let connection = try await Connection.open(
                    to: server, request: request, watches: watches, zxid: zxid, eventLoop: eventLoop,
                    timeout: perServer.timeAmount, maximumPacketLength: configuration.maximumPacketLength, logger: logger)
                guard install(connection) else {
                    connection.close()
                    return
                }
                failures = 0
                try? await connection.channel.closeFuture.get()
                lost(connection)
            } catch let error as ZooKeeperError where error.code == .sessionExpired {
                end(.expired, error: error)
                return
            } catch {
                failures += 1
                logger.debug("zookeeper: connection attempt failed", metadata: ["server": "\(server)", "error": "\(error)"])
                if failures % servers.count == 0 {
                    try? await Task.sleep(for: configuration.reconnectDelay)
                }
            }
        }
    }

    /// Makes `connection` current; `false` when the session ended meanwhile.
    private func install(_ connection: Connection) -> Bool {
        let (installed, waiters, observers, event) = state.withLock { state -> (Bool, [Waiter], [AsyncStream<ConnectionState>.Continuation], ConnectionState) in
            guard !state.isOver else { return (false, [], [], .closed) }
            let event: ConnectionState = state.everConnected ? .reconnected : .connected
            state.everConnected = true
            state.credentials = SessionCredentials(id: connection.response.sessionID, password: connection.response.password)
            state.negotiatedTimeout = .milliseconds(connection.response.timeoutMilliseconds)
            state.phase = .connected(connection)
            let waiters = Array(state.waiters.values)
            state.waiters = [:]
            return (true, waiters, state.emit(event), event)
        }
        guard installed else { return false }
        logger.info("zookeeper: \(event)", metadata: [
            "server": "\(connection.server)", "session": "0x\(String(connection.response.sessionID, radix: 16))",
            "timeout": "\(connection.response.timeoutMilliseconds) ms",
        ])
        for waiter in waiters {
            waiter.timeout?.cancel()
            waiter.continuation.resume(returning: connection)
        }
        for observer in observers { observer.yield(event) }
        return true
    }

    /// Called by a request that found `connection` closed: waits for the close to complete and
    /// makes sure the connection is no longer current, so the next request waits for a new one.
    func connectionLost(_ connection: Connection) async {
        try? await connection.channel.closeFuture.get()
        lost(connection)
    }

    private func lost(_ connection: Connection) {
        let observers = state.withLock { state -> [AsyncStream<ConnectionState>.Continuation] in
            guard case .connected(let current) = state.phase, current === connection else { return [] }
            state.phase = .connecting
            return state.emit(.suspended)
        }
        if !observers.isEmpty { logger.info("zookeeper: suspended", metadata: ["server": "\(connection.server)"]) }
        for observer in observers { observer.yield(.suspended) }
    }

    /// Ends the session: fails waiters and watches, tells observers, and stops the connection task.
    /// Returns the connection that was current, if any.
    @discardableResult
    func end(_ event: ConnectionState, error: ZooKeeperError) -> Connection? {
        let ended = state.withLock { state -> (Connection?, [Waiter], [AsyncStream<ConnectionState>.Continuation], Task<Void, Never>?)? in
            guard !state.isOver else { return nil }
            var connection: Connection?
            if case .connected(let current) = state.phase { connection = current }
            state.phase = event == .expired ? .expired : .closed
            let waiters = Array(state.waiters.values)
            state.waiters = [:]
            let observers = state.emit(event)
            state.observers = [:]
            return (connection, waiters, observers, state.loop)
        }
        guard let (connection, waiters, observers, loop) = ended else { return nil }
        logger.info("zookeeper: \(event)", metadata: ["session": "0x\(String(credentials.id, radix: 16))"])
        for waiter in waiters {
            waiter.timeout?.cancel()
            waiter.continuation.resume(throwing: error)
        }
        watches.failAll(error)
        for observer in observers {
            observer.yield(event)
            observer.finish()
        }
        if event == .closed { loop?.cancel() }
        return connection
    }
}
