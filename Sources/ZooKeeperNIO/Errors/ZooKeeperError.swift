/// An error from a ZooKeeper operation: the server's error code (or one the client
/// raises itself, such as ``Code-swift.struct/connectionLoss`` or ``Code-swift.struct/closed``)
/// and a message naming the path and what happened.
///
/// Codes are those of the server's `KeeperException.Code`, so a code read off the wire
/// compares equal to the static value of the same name.
public struct ZooKeeperError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A ZooKeeper error code: the integer the server sends in a reply header.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The integer on the wire (`KeeperException.Code`), negative for every error.
        public var rawValue: Int32

        /// A code from its wire value; unknown values are kept as they are.
        public init(rawValue: Int32) { self.rawValue = rawValue }

        /// No error (0); appears only in the per-operation results of a failed ``ZooKeeperClient/multi(_:)``.
        public static let ok = Code(rawValue: 0)
        /// The server hit an unexpected error (−1).
        public static let systemError = Code(rawValue: -1)
        /// An operation of a failed multi that was not applied because an earlier one failed (−2).
        public static let runtimeInconsistency = Code(rawValue: -2)
        /// The server's data is inconsistent (−3).
        public static let dataInconsistency = Code(rawValue: -3)
        /// The connection to the server was lost before the reply came (−4): the operation may or may not have been applied.
        public static let connectionLoss = Code(rawValue: -4)
        /// A packet could not be encoded or decoded (−5).
        public static let marshallingError = Code(rawValue: -5)
        /// The server does not implement the operation (−6).
        public static let unimplemented = Code(rawValue: -6)
        /// The operation timed out (−7).
        public static let operationTimeout = Code(rawValue: -7)
        /// An argument was invalid, for example a malformed path (−8).
        public static let badArguments = Code(rawValue: -8)
        /// The session is unknown to the server (−12).
        public static let unknownSession = Code(rawValue: -12)
        /// A generic API error (−100); the client also uses it for a reply it cannot match to a request.
        public static let apiError = Code(rawValue: -100)
        /// The node does not exist (−101).
        public static let noNode = Code(rawValue: -101)
        /// The client is not authorized for the operation (−102).
        public static let noAuth = Code(rawValue: -102)
        /// The node's version is not the expected one (−103).
        public static let badVersion = Code(rawValue: -103)
        /// Ephemeral nodes cannot have children (−108).
        public static let noChildrenForEphemerals = Code(rawValue: -108)
        /// The node already exists (−110).
        public static let nodeExists = Code(rawValue: -110)
        /// The node has children and cannot be deleted (−111).
        public static let notEmpty = Code(rawValue: -111)
        /// The session has expired; the client cannot be used any more (−112).
        public static let sessionExpired = Code(rawValue: -112)
        /// The ACL is invalid, for example empty (−114).
        public static let invalidACL = Code(rawValue: -114)
        /// Authentication failed (−115).
        public static let authFailed = Code(rawValue: -115)
        /// The client was closed (−116, the C client's `ZCLOSING`).
        public static let closed = Code(rawValue: -116)
        /// The session moved to another server (−118).
        public static let sessionMoved = Code(rawValue: -118)
        /// A write was sent to a read-only server (−119).
        public static let notReadOnly = Code(rawValue: -119)
        /// An ephemeral node was created on a local session (−120).
        public static let ephemeralOnLocalSession = Code(rawValue: -120)
        /// The request was throttled by the server (−127).
        public static let throttled = Code(rawValue: -127)

        private static let names: [Int32: String] = [
            0: "ok", -1: "systemError", -2: "runtimeInconsistency", -3: "dataInconsistency",
            -4: "connectionLoss", -5: "marshallingError", -6: "unimplemented", -7: "operationTimeout",
            -8: "badArguments", -12: "unknownSession", -100: "apiError", -101: "noNode", -102: "noAuth",
            -103: "badVersion", -108: "noChildrenForEphemerals", -110: "nodeExists", -111: "notEmpty",
            -112: "sessionExpired", -114: "invalidACL", -115: "authFailed", -116: "closed",
            -118: "sessionMoved", -119: "notReadOnly", -120: "ephemeralOnLocalSession", -127: "throttled",
        ]

        /// The code's name and wire value: `noNode (-101)`.
        public var description: String { "\(Self.names[rawValue] ?? "code") (\(rawValue))" }
    }

    /// What kind of error this is.
    public var code: Code
    /// What happened, naming the operation and path: `create /a/b: node already exists`.
    public var message: String
    /// The path the failed operation was about, when there is one (without the chroot).
    public var path: String?
    /// For a failed ``ZooKeeperClient/multi(_:)``: one code per operation, in order: ``Code-swift.struct/ok`` for
    /// those that would have succeeded, the failing operation's code, and
    /// ``Code-swift.struct/runtimeInconsistency`` for those after it. `nil` for other operations.
    public var operationErrors: [Code]?

    /// An error with a code, a message, and optionally the path and multi results.
    public init(_ code: Code, _ message: String, path: String? = nil, operationErrors: [Code]? = nil) {
        self.code = code
        self.message = message
        self.path = path
        self.operationErrors = operationErrors
    }

    /// `ZooKeeperError(noNode (-101)): getData /a: node does not exist`.
    public var description: String { "ZooKeeperError(\(code)): \(message)" }
}

extension ZooKeeperError.Code {
    /// Internal: the connection closed before the request was written, so it can be sent on the next one.
    static let notSent = ZooKeeperError.Code(rawValue: .min)

    /// Words for the message of an error carrying this code.
    var explanation: String {
        switch self {
        case .noNode: "node does not exist"
        case .nodeExists: "node already exists"
        case .badVersion: "version does not match"
        case .notEmpty: "node has children"
        case .noChildrenForEphemerals: "ephemeral nodes cannot have children"
        case .sessionExpired: "session expired"
        case .connectionLoss: "connection lost before the reply; the operation may or may not have been applied"
        case .invalidACL: "invalid ACL"
        case .badArguments: "bad arguments"
        case .noAuth: "not authorized"
        case .closed: "client is closed"
        case .runtimeInconsistency: "not applied because an earlier operation of the transaction failed"
        default: "server error \(self)"
        }
    }
}
