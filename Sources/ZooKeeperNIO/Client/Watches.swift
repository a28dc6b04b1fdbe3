import Synchronization

/// A change a watch saw: what happened, and to which node.
public struct WatchedEvent: Hashable, Sendable {
    /// What happened to the node (`Watcher.Event.EventType`).
    public enum EventType: Int32, Hashable, Sendable {
        /// The node was created (an exists watch on a missing node).
        case nodeCreated = 1
        /// The node was deleted.
        case nodeDeleted = 2
        /// The node's data changed.
        case nodeDataChanged = 3
        /// A child was added or removed.
        case nodeChildrenChanged = 4
    }

    /// What happened.
    public var type: EventType
    /// The node's path, without the chroot.
    public var path: String

    /// An event of `type` on `path`.
    public init(type: EventType, path: String) {
        self.type = type
        self.path = path
    }
}

/// A one-shot watch set by ``ZooKeeperClient/watchData(_:)``, ``ZooKeeperClient/watchExists(_:)`` or
/// ``ZooKeeperClient/watchChildren(_:)``: it fires at most once, with the first change the server reports.
///
/// The watch survives connection loss: the client re-registers it on the next connection to any
/// server with SetWatches, so a change made while disconnected still fires it. It fails with
/// ``ZooKeeperError/Code-swift.struct/sessionExpired`` or ``ZooKeeperError/Code-swift.struct/closed`` when the
/// session ends before it fires. Any number of tasks may await ``event``; all get the same result.
public final class ZooKeeperWatch: Sendable, CustomStringConvertible {
    /// Which operation set a watch, and so which changes fire it.
    public enum Kind: Hashable, Sendable {
        /// Set by ``ZooKeeperClient/watchData(_:)``: fires on data change or deletion.
        case data
        /// Set by ``ZooKeeperClient/watchExists(_:)``: fires on creation, data change or deletion.
        case exists
        /// Set by ``ZooKeeperClient/watchChildren(_:)``: fires when a child is added or removed, or on deletion.
        case children
    }

    /// The watched node's path, without the chroot.
    public let path: String
    /// Which operation set the watch.
    public let kind: Kind

    private enum State {
        case waiting([Int: CheckedContinuation<WatchedEvent, any Error>], nextID: Int)
        case done(Result<WatchedEvent, ZooKeeperError>)
    }

    private let state = Mutex(State.waiting([:], nextID: 0))

    init(path: String, kind: Kind) {
        self.path = path
        self.kind = kind
    }

    /// `ZooKeeperWatch(data /a)`.
    public var description: String { "ZooKeeperWatch(\(kind) \(path))" }

    /// Whether the watch already fired or failed.
    public var isDone: Bool {
        state.withLock { if case .done = $0 { true } else { false } }
    }

    /// The change that fired the watch, waiting for it if it has not fired yet.
    /// - Throws: ``ZooKeeperError`` when the session expires or the client closes first;
    ///   `CancellationError` when the awaiting task is cancelled (the watch stays set).
    public var event: WatchedEvent {
        get async throws {
            let id = state.withLock { state -> Int? in
                guard case .waiting(let waiters, let nextID) = state else { return nil }
                state = .waiting(waiters, nextID: nextID + 1)
                return nextID
            }
            guard let id else { return try result!.get() }
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    let immediate = state.withLock { state -> Result<WatchedEvent, any Error>? in
                        switch state {
                        case .done(let result): return result.mapError { $0 }
                        case .waiting(var waiters, let nextID):
                            if Task.isCancelled { return .failure(CancellationError()) }
                            waiters[id] = continuation
                            state = .waiting(waiters, nextID: nextID)
                            return nil
                        }
                    }
                    if let immediate { continuation.resume(with: immediate) }
                }
            } onCancel: {
                let continuation = state.withLock { state -> CheckedContinuation<WatchedEvent, any Error>? in
                    guard case .waiting(var waiters, let nextID) = state, let continuation = waiters.removeValue(forKey: id) else { return nil }
                    state = .waiting(waiters, nextID: nextID)
                    return continuation
                }
                continuation?.resume(throwing: CancellationError())
            }
        }
    }

    private var result: Result<WatchedEvent, ZooKeeperError>? {
        state.withLock { if case .done(let result) = $0 { result } else { nil } }
    }

    /// Completes the watch once; later calls do nothing.
    func resolve(_ result: Result<WatchedEvent, ZooKeeperError>) {
        let waiters = state.withLock { state -> [CheckedContinuation<WatchedEvent, any Error>] in
            guard case .waiting(let waiters, _) = state else { return [] }
            state = .done(result)
            return Array(waiters.values)
        }
        for waiter in waiters { waiter.resume(with: result.mapError { $0 }) }
    }
}

/// The watches the server holds for this session, by the server's three lists.
final class WatchRegistry: Sendable {
    /// The server's lists (`dataWatches`, `existWatches`, `childWatches`); an exists watch on an
    /// existing node lives in the data list, as in the Java client.
    enum List: Int, Sendable { case data, exist, child }

    private struct Key: Hashable {
        var path: String
        var list: List
    }

    private let watches = Mutex<[Key: [ZooKeeperWatch]]>([:])

    func register(_ watch: ZooKeeperWatch, serverPath: String, list: List) {
        watches.withLock { $0[Key(path: serverPath, list: list), default: []].append(watch) }
    }

    /// Fires the watches a notification of `type` on `serverPath` triggers, removing them.
    func trigger(type: Int32, serverPath: String) {
        guard let eventType = WatchedEvent.EventType(rawValue: type) else { return }
        let lists: [List] = switch eventType {
        case .nodeCreated, .nodeDataChanged: [.data, .exist]
        case .nodeDeleted: [.data, .exist, .child]
        case .nodeChildrenChanged: [.child]
        }
        let fired = watches.withLock { watches in
            lists.flatMap { watches.removeValue(forKey: Key(path: serverPath, list: $0)) ?? [] }
        }
        for watch in fired { watch.resolve(.success(WatchedEvent(type: eventType, path: watch.path))) }
    }

    /// The server-side paths of each list, for SetWatches after a reconnection.
    func paths() -> (data: [String], exist: [String], child: [String]) {
        watches.withLock { watches in
            var result: ([String], [String], [String]) = ([], [], [])
            for key in watches.keys.sorted(by: { $0.path < $1.path }) {
                switch key.list {
                case .data: result.0.append(key.path)
                case .exist: result.1.append(key.path)
                case .child: result.2.append(key.path)
                }
            }
            return result
        }
    }

    /// Fails every watch (the session ended) and forgets them.
    func failAll(_ error: ZooKeeperError) {
        let all = watches.withLock { watches in
            defer { watches = [:] }
            return watches.values.flatMap { $0 }
        }
        for watch in all { watch.resolve(.failure(error)) }
    }
}
