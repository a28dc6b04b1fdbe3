public import Logging
public import NIOCore
import NIOPosix

/// The connection events a ``ZooKeeperClient`` goes through, in the vocabulary of Apache Curator's `ConnectionState`.
public enum ConnectionState: Hashable, Sendable {
    /// Connected with a new session (the first connection).
    case connected
    /// The connection was lost; the client is looking for a server. The session may survive:
    /// its ephemeral nodes and watches stay until the server expires it.
    case suspended
    /// Connected again with the same session: ephemeral nodes and watches are intact.
    case reconnected
    /// The server expired the session: its ephemeral nodes are gone and the client cannot be used any more.
    case expired
    /// ``ZooKeeperClient/close()`` was called.
    case closed
}

/// An existing session to resume: the ``ZooKeeperClient/sessionID`` and ``ZooKeeperClient/sessionPassword``
/// of another client (as the Java client's `ZooKeeper(connectString, timeout, watcher, sessionId, passwd)`).
public struct SessionCredentials: Hashable, Sendable {
    /// The session's id.
    public var id: Int64
    /// The session's password.
    public var password: [UInt8]

    /// Credentials from an id and password.
    public init(id: Int64, password: [UInt8]) {
        self.id = id
        self.password = password
    }
}

extension ZooKeeperClient {
    /// How a client connects and how it keeps its session.
    public struct Configuration: Sendable {
        /// The servers and optional chroot: `host:port,host:port/chroot` (see ``ConnectString``).
        public var connectString: String
        /// The session timeout the client asks for. Default 10 s, the default of Kazoo (the Python
        /// client) and within the server's default bounds (2 to 20 ticks of 2 s: 4 s to 40 s); Apache Curator
        /// asks for 60 s. The server clamps it to its `minSessionTimeout`…`maxSessionTimeout`;
        /// ``ZooKeeperClient/sessionTimeout`` is what it granted. Pings go out after a third of the granted
        /// timeout without traffic; a connection is declared lost after two thirds of it in silence.
        public var sessionTimeout: Duration = .seconds(10)
        /// How long ``ZooKeeperClient/connect(configuration:)`` waits for the first session, and how long a request
        /// made while disconnected waits for the next connection before it fails with
        /// ``ZooKeeperError/Code-swift.struct/connectionLoss``. Default 15 s, Apache Curator's default connection timeout.
        public var connectionTimeout: Duration = .seconds(15)
        /// The pause after every server of the connect string was tried in vain. Default 250 ms:
        /// shorter than the Java client's (up to 1 s), so a 2 s session still gets several rounds.
        public var reconnectDelay: Duration = .milliseconds(250)
        /// A session to resume instead of creating one. Default `nil`: a new session.
        public var session: SessionCredentials?
        /// The largest packet accepted from a server; a longer one closes the connection. Default
        /// 0xfffff bytes (1 MiB − 1), the `jute.maxbuffer` default of the Java client and server.
        public var maximumPacketLength = 0xfffff
        /// The event loops connections run on. Default: NIO's shared `MultiThreadedEventLoopGroup.singleton`.
        public var eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
        /// Where the client logs connection events (info) and protocol problems (warning).
        /// Default: a logger that discards everything.
        public var logger = Logger(label: "ZooKeeperNIO", factory: { _ in SwiftLogNoOpLogHandler() })

        /// A configuration for `connectString` with the defaults above.
        public init(connectString: String) {
            self.connectString = connectString
        }
    }
}

extension Duration {
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    var timeAmount: TimeAmount { .milliseconds(milliseconds) }
}
