/// A node's metadata, as the server keeps it (jute `Stat`).
public struct Stat: Hashable, Sendable {
    /// The zxid of the transaction that created the node.
    public var czxid: Int64
    /// The zxid of the transaction that last modified the node's data.
    public var mzxid: Int64
    /// When the node was created, in milliseconds since the epoch.
    public var ctime: Int64
    /// When the node's data was last modified, in milliseconds since the epoch.
    public var mtime: Int64
    /// How many times the node's data changed: the version ``ZooKeeperClient/setData(_:data:version:)`` checks.
    public var version: Int32
    /// How many times the node's children changed.
    public var cversion: Int32
    /// How many times the node's ACL changed.
    public var aversion: Int32
    /// The session that owns the node when it is ephemeral, else 0.
    public var ephemeralOwner: Int64
    /// The length of the node's data in bytes.
    public var dataLength: Int32
    /// How many children the node has.
    public var numChildren: Int32
    /// The zxid of the transaction that last changed the node's children.
    public var pzxid: Int64

    /// A stat from its eleven fields, in wire order.
    public init(
        czxid: Int64, mzxid: Int64, ctime: Int64, mtime: Int64, version: Int32, cversion: Int32,
        aversion: Int32, ephemeralOwner: Int64, dataLength: Int32, numChildren: Int32, pzxid: Int64
    ) {
        self.czxid = czxid
        self.mzxid = mzxid
        self.ctime = ctime
        self.mtime = mtime
        self.version = version
        self.cversion = cversion
        self.aversion = aversion
        self.ephemeralOwner = ephemeralOwner
        self.dataLength = dataLength
        self.numChildren = numChildren
        self.pzxid = pzxid
    }
}

/// An identity an ACL grants permissions to: a scheme and an id in it (`world:anyone`, `ip:10.0.0.1`).
public struct ZooKeeperID: Hashable, Sendable {
    /// The authentication scheme: `world`, `auth`, `digest`, `ip`, …
    public var scheme: String
    /// The identity in that scheme.
    public var id: String

    /// An identity from its scheme and id.
    public init(scheme: String, id: String) {
        self.scheme = scheme
        self.id = id
    }

    /// `world:anyone`: every client.
    public static let anyone = ZooKeeperID(scheme: "world", id: "anyone")
    /// `auth:`: whoever created the node, as authenticated.
    public static let creator = ZooKeeperID(scheme: "auth", id: "")
}

/// One entry of a node's access control list.
public struct ACL: Hashable, Sendable {
    /// What an ACL entry allows (`ZooDefs.Perms`).
    public struct Permissions: OptionSet, Hashable, Sendable {
        /// The bits on the wire.
        public var rawValue: Int32
        /// Permissions from their wire bits.
        public init(rawValue: Int32) { self.rawValue = rawValue }
        /// Read the node's data and list its children.
        public static let read = Permissions(rawValue: 1)
        /// Set the node's data.
        public static let write = Permissions(rawValue: 2)
        /// Create children.
        public static let create = Permissions(rawValue: 4)
        /// Delete children.
        public static let delete = Permissions(rawValue: 8)
        /// Set the node's ACL.
        public static let admin = Permissions(rawValue: 16)
        /// Every permission.
        public static let all: Permissions = [.read, .write, .create, .delete, .admin]
    }

    /// What is allowed.
    public var permissions: Permissions
    /// To whom.
    public var id: ZooKeeperID

    /// An entry granting `permissions` to `id`.
    public init(permissions: Permissions, id: ZooKeeperID) {
        self.permissions = permissions
        self.id = id
    }
}

extension [ACL] {
    /// Every permission to everyone (`world:anyone` with `ALL`, the Java client's `OPEN_ACL_UNSAFE`): the default.
    public static let openUnsafe: [ACL] = [ACL(permissions: .all, id: .anyone)]
    /// Read to everyone (`READ_ACL_UNSAFE`).
    public static let readUnsafe: [ACL] = [ACL(permissions: .read, id: .anyone)]
    /// Every permission to the creator's authenticated identity (`CREATOR_ALL_ACL`).
    public static let creatorAll: [ACL] = [ACL(permissions: .all, id: .creator)]
}

/// How a node is created (`CreateMode`): persistent or ephemeral, sequential or not, or a container.
public struct CreateMode: Hashable, Sendable, CustomStringConvertible {
    /// The flags on the wire.
    public var flags: Int32

    /// Stays until deleted.
    public static let persistent = CreateMode(flags: 0)
    /// Deleted when the session that created it ends; cannot have children.
    public static let ephemeral = CreateMode(flags: 1)
    /// Persistent, with a 10-digit counter of the parent appended to the name.
    public static let persistentSequential = CreateMode(flags: 2)
    /// Ephemeral, with a 10-digit counter of the parent appended to the name.
    public static let ephemeralSequential = CreateMode(flags: 3)
    /// A container: the server deletes it some time after its last child is deleted.
    public static let container = CreateMode(flags: 4)

    /// Whether the node goes away with its session.
    public var isEphemeral: Bool { flags == 1 || flags == 3 }
    /// Whether the server appends a sequence number to the name.
    public var isSequential: Bool { flags == 2 || flags == 3 }

    /// `persistent`, `ephemeralSequential`, …
    public var description: String {
        switch flags {
        case 0: "persistent"
        case 1: "ephemeral"
        case 2: "persistentSequential"
        case 3: "ephemeralSequential"
        case 4: "container"
        default: "flags \(flags)"
        }
    }
}

/// A node's data and metadata, as ``ZooKeeperClient/getData(_:)`` returns them.
public struct NodeData: Hashable, Sendable {
    /// The node's data.
    public var data: [UInt8]
    /// The node's metadata.
    public var stat: Stat
}

/// A node's children and metadata, as ``ZooKeeperClient/getChildren(_:)`` returns them.
public struct NodeChildren: Hashable, Sendable {
    /// The children's names (not paths), in the server's order.
    public var children: [String]
    /// The parent's metadata.
    public var stat: Stat
}

/// Operation codes (`ZooDefs.OpCode`).
enum OpCode: Int32 {
    case create = 1
    case delete = 2
    case exists = 3
    case getData = 4
    case setData = 5
    case sync = 9
    case ping = 11
    case getChildren2 = 12
    case check = 13
    case multi = 14
    case create2 = 15
    case createContainer = 19
    case setWatches = 101
    case closeSession = -11
    case error = -1
}

/// Special xids: notifications, pings and SetWatches replies are not answers to pending requests.
enum SpecialXid {
    static let notification: Int32 = -1
    static let ping: Int32 = -2
    static let authentication: Int32 = -4
    static let setWatches: Int32 = -8
}
