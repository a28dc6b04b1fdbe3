public import RoostCore

/// How an agent reaches the leading master: in-process for the embedded cluster, HTTP later.
///
/// ``connect()`` opens a link to whoever leads now; the link's ``AgentLink/events``
/// end when the master closes it (it stopped leading, or shut down), and the
/// agent then connects again and re-registers.
public protocol AgentTransport: Sendable {
    /// Opens a link to the leading master.
    /// - Throws: when no master can be reached now; the agent retries with back-off.
    func connect() async throws -> AgentLink
}

/// One open link between an agent and a master.
public struct AgentLink: Sendable {
    /// Messages from the master, in order; ends when the link closes.
    public var events: AsyncStream<AgentEvent>
    /// Sends a message to the master.
    public var send: @Sendable (AgentCall) async -> Void
    /// Closes the link from the agent's side.
    public var close: @Sendable () async -> Void

    /// Creates a link.
    public init(events: AsyncStream<AgentEvent>, send: @escaping @Sendable (AgentCall) async -> Void, close: @escaping @Sendable () async -> Void) {
        self.events = events
        self.send = send
        self.close = close
    }
}
