/// Who a master is and where to reach it; what a leader election announces.
///
/// JSON fields: `id`, `hostname`, `port`, `version`.
public struct MasterInfo: Hashable, Sendable, Codable {
    /// The master process's ID, unique per process start.
    public var id: MasterID
    /// The host its API listens on.
    public var hostname: String
    /// The port its API listens on (0 for an embedded master with no network API).
    public var port: Int
    /// The Roost version the master runs.
    public var version: String

    /// Creates a master description.
    public init(id: MasterID, hostname: String, port: Int = 0, version: String = RoostVersion.current) {
        self.id = id
        self.hostname = hostname
        self.port = port
        self.version = version
    }

    /// `hostname:port`.
    public var address: String { "\(hostname):\(port)" }
}

/// A leader's election epoch: strictly increases over the whole history of an election.
///
/// Every message a master sends carries its epoch; agents and drivers refuse
/// messages whose epoch is older than the newest they have seen, so a deposed
/// leader is fenced at once. With ZooKeeper it is the leader node's `czxid` (the
/// zxid that created it), which grows with every write to the ensemble. JSON: a number.
public struct LeaderEpoch: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The epoch's number.
    public var rawValue: UInt64

    /// Creates an epoch.
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    public static func < (lhs: LeaderEpoch, rhs: LeaderEpoch) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "\(rawValue)" }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(UInt64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// The version of Roost this module belongs to.
public enum RoostVersion {
    /// The current release, reported in ``MasterInfo/version``.
    public static let current = "0.1.0"
}
