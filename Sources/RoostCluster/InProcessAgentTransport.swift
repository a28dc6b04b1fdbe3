public import RoostAgent
public import RoostMaster

/// Links an ``Agent`` to a ``Master`` in the same process.
public struct InProcessAgentTransport: AgentTransport {
    /// The master the agent registers with.
    public let master: Master

    /// Creates a transport to `master`.
    public init(master: Master) { self.master = master }

    /// Opens a link; while the master does not lead the link closes at once and the agent retries.
    public func connect() async throws -> AgentLink {
        let master = self.master
        let (link, events) = await master.connectAgent()
        return AgentLink(
            events: events,
            send: { call in await master.agentCall(call, from: link) },
            close: { await master.agentDisconnected(link: link) })
    }
}
