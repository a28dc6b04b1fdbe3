import NIOCore

/// One operation of a transaction run by ``ZooKeeperClient/multi(_:)``: all are applied, or none.
public enum ZooKeeperOperation: Hashable, Sendable {
    /// Fails the transaction unless the node at `path` has `version` (−1: any version, so only that it exists).
    case check(path: String, version: Int32)
    /// Creates a node (with `acl`, default ``Swift/Array/openUnsafe``).
    case create(path: String, data: [UInt8] = [], mode: CreateMode = .persistent, acl: [ACL] = .openUnsafe)
    /// Deletes a node if it has `version` (−1: any version).
    case delete(path: String, version: Int32 = -1)
    /// Sets a node's data if it has `version` (−1: any version).
    case setData(path: String, data: [UInt8], version: Int32 = -1)

    /// The node the operation is about.
    public var path: String {
        switch self {
        case .check(let path, _), .create(let path, _, _, _), .delete(let path, _), .setData(let path, _, _): path
        }
    }

    /// The same operation on another path (the chrooted one).
    func with(path: String) -> ZooKeeperOperation {
        switch self {
        case .check(_, let version): .check(path: path, version: version)
        case .create(_, let data, let mode, let acl): .create(path: path, data: data, mode: mode, acl: acl)
        case .delete(_, let version): .delete(path: path, version: version)
        case .setData(_, let data, let version): .setData(path: path, data: data, version: version)
        }
    }

    var opCode: OpCode {
        switch self {
        case .check: .check
        case .create(_, _, let mode, _): mode == .container ? .createContainer : .create
        case .delete: .delete
        case .setData: .setData
        }
    }

    func writeBody(into buffer: inout ByteBuffer) {
        switch self {
        case .check(let path, let version), .delete(let path, let version):
            buffer.writeJuteString(path)
            buffer.writeJuteInt(version)
        case .create(let path, let data, let mode, let acl):
            buffer.writeJuteString(path)
            buffer.writeJuteBuffer(data)
            buffer.writeJuteACLs(acl)
            buffer.writeJuteInt(mode.flags)
        case .setData(let path, let data, let version):
            buffer.writeJuteString(path)
            buffer.writeJuteBuffer(data)
            buffer.writeJuteInt(version)
        }
    }
}

/// What one operation of a successful ``ZooKeeperClient/multi(_:)`` returned.
public enum ZooKeeperOperationResult: Hashable, Sendable {
    /// The check passed.
    case check
    /// The node was created at `path` (with the sequence number, for sequential nodes; without the chroot).
    case create(path: String)
    /// The node was deleted.
    case delete
    /// The data was set; the node's new metadata.
    case setData(Stat)
}

/// A per-operation result as the server sends it, before the client decides success or failure.
enum RawMultiResult: Equatable, Sendable {
    case check
    case create(path: String)
    case delete
    case setData(Stat)
    case error(Int32)

    /// Reads MultiHeader + body pairs until the header marked done.
    static func decodeAll(from buffer: inout ByteBuffer) throws -> [RawMultiResult] {
        var results: [RawMultiResult] = []
        while true {
            let type = try buffer.readJuteInt("multi type")
            let done = try buffer.readJuteBool("multi done")
            let error = try buffer.readJuteInt("multi err")
            if done { return results }
            switch OpCode(rawValue: type) {
            case .check: results.append(.check)
            case .create: results.append(.create(path: try buffer.readJuteString("path")))
            case .create2, .createContainer:
                let path = try buffer.readJuteString("path")
                _ = try buffer.readStat()
                results.append(.create(path: path))
            case .delete: results.append(.delete)
            case .setData: results.append(.setData(try buffer.readStat()))
            case .error: results.append(.error(try buffer.readJuteInt("error")))
            default: throw JuteDecodingError(what: "multi result of type \(type) (header err \(error))")
            }
        }
    }
}
