/// One member of an ensemble as every member's `zoo.cfg` names it (`server.N=host:peerPort:electionPort`).
public struct EnsemblePeer: Hashable, Sendable {
    /// The member's id (`myid`), from 1.
    public var id: Int
    /// The port followers use to reach the leader.
    public var peerPort: Int
    /// The port of leader election.
    public var electionPort: Int

    /// A peer from its id and ports.
    public init(id: Int, peerPort: Int, electionPort: Int) {
        self.id = id
        self.peerPort = peerPort
        self.electionPort = electionPort
    }
}

/// What a test server's `zoo.cfg` says: a pure value, rendered to text by ``render()``.
public struct ServerConfiguration: Hashable, Sendable {
    /// The server's tick in milliseconds; sessions are checked for expiry once a tick.
    /// Default 200 ms, so a 2 s test session expires within about 2.2 s.
    public var tickTime = 200
    /// The port clients connect to, on 127.0.0.1.
    public var clientPort: Int
    /// Where snapshots and the transaction log go.
    public var dataDirectory: String
    /// The shortest session timeout granted. Default 2000 ms so tests can use short sessions
    /// (the server's own default is two ticks).
    public var minSessionTimeout = 2000
    /// The longest session timeout granted. Default 60000 ms (the server's default, 20 ticks, would be 4 s here).
    public var maxSessionTimeout = 60000
    /// The ensemble's members, empty for a standalone server.
    public var peers: [EnsemblePeer] = []

    /// A standalone configuration.
    public init(clientPort: Int, dataDirectory: String) {
        self.clientPort = clientPort
        self.dataDirectory = dataDirectory
    }

    /// The `zoo.cfg` text.
    public func render() -> String {
        var lines = [
            "tickTime=\(tickTime)",
            "clientPortAddress=127.0.0.1",
            "clientPort=\(clientPort)",
            "dataDir=\(dataDirectory)",
            "minSessionTimeout=\(minSessionTimeout)",
            "maxSessionTimeout=\(maxSessionTimeout)",
            "admin.enableServer=false",
            "4lw.commands.whitelist=*",
            "maxClientCnxns=0",
        ]
        if !peers.isEmpty {
            lines += ["initLimit=25", "syncLimit=10", "standaloneEnabled=false", "reconfigEnabled=false"]
            lines += peers.map { "server.\($0.id)=127.0.0.1:\($0.peerPort):\($0.electionPort)" }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
