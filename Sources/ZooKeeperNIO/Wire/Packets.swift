import NIOCore

/// One request, with server-side paths (the chroot already prepended).
enum Request: Sendable {
    case create(path: String, data: [UInt8], acl: [ACL], mode: CreateMode, withStat: Bool)
    case delete(path: String, version: Int32)
    case exists(path: String, watch: Bool)
    case getData(path: String, watch: Bool)
    case setData(path: String, data: [UInt8], version: Int32)
    case getChildren2(path: String, watch: Bool)
    case sync(path: String)
    case multi([ZooKeeperOperation])
    case closeSession

    var opCode: OpCode {
        switch self {
        case .create(_, _, _, let mode, let withStat):
            mode == .container ? .createContainer : (withStat ? .create2 : .create)
        case .delete: .delete
        case .exists: .exists
        case .getData: .getData
        case .setData: .setData
        case .getChildren2: .getChildren2
        case .sync: .sync
        case .multi: .multi
        case .closeSession: .closeSession
        }
    }

    /// The whole packet: a length frame, a request header whose xid the connection fills in
    /// at ``Packet/xidIndex`` when it sends the packet, and the body.
    func packet(allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 64 + estimatedBodySize)
        buffer.writeInteger(0 as Int32)  // length, set below
        buffer.writeJuteInt(0)  // xid, set when sent
        buffer.writeJuteInt(opCode.rawValue)
        writeBody(into: &buffer)
        buffer.setInteger(Int32(buffer.readableBytes - 4), at: 0)
        return buffer
    }

    private var estimatedBodySize: Int {
        switch self {
        case .create(let path, let data, _, _, _), .setData(let path, let data, _): path.utf8.count + data.count + 32
        case .multi(let operations): operations.count * 64
        default: 64
        }
    }

    private func writeBody(into buffer: inout ByteBuffer) {
        switch self {
        case .create(let path, let data, let acl, let mode, _):
            buffer.writeJuteString(path)
            buffer.writeJuteBuffer(data)
            buffer.writeJuteACLs(acl)
            buffer.writeJuteInt(mode.flags)
        case .delete(let path, let version):
            buffer.writeJuteString(path)
            buffer.writeJuteInt(version)
        case .exists(let path, let watch), .getData(let path, let watch), .getChildren2(let path, let watch):
            buffer.writeJuteString(path)
            buffer.writeJuteBool(watch)
        case .setData(let path, let data, let version):
            buffer.writeJuteString(path)
            buffer.writeJuteBuffer(data)
            buffer.writeJuteInt(version)
        case .sync(let path):
            buffer.writeJuteString(path)
        case .multi(let operations):
            for operation in operations {
                // MultiHeader: type, done, err.
                buffer.writeJuteInt(operation.opCode.rawValue)
                buffer.writeJuteBool(false)
                buffer.writeJuteInt(-1)
                operation.writeBody(into: &buffer)
            }
            buffer.writeJuteInt(-1)
            buffer.writeJuteBool(true)
            buffer.writeJuteInt(-1)
        case .closeSession:
            break
        }
    }

    /// How to read the body of a successful reply to this request.
    var replyShape: ReplyShape {
        switch self {
        case .create(_, _, _, let mode, let withStat): (withStat || mode == .container) ? .pathAndStat : .path
        case .delete, .closeSession: .empty
        case .exists, .setData: .stat
        case .getData: .data
        case .getChildren2: .children
        case .sync: .path
        case .multi: .multi
        }
    }
}

/// Where a packet's xid sits: after the 4-byte length.
enum Packet {
    static let xidIndex = 4
}

/// The body a reply carries.
enum ReplyShape: Sendable {
    case empty, path, pathAndStat, stat, data, children, multi
}

/// A decoded reply body.
enum Reply: Sendable {
    case empty
    case path(String)
    case pathAndStat(String, Stat)
    case stat(Stat)
    case data([UInt8], Stat)
    case children([String], Stat)
    case multi([RawMultiResult])

    static func decode(_ shape: ReplyShape, from buffer: inout ByteBuffer) throws -> Reply {
        switch shape {
        case .empty: return .empty
        case .path: return .path(try buffer.readJuteString("path"))
        case .pathAndStat: return .pathAndStat(try buffer.readJuteString("path"), try buffer.readStat())
        case .stat: return .stat(try buffer.readStat())
        case .data: return .data(try buffer.readJuteBuffer("data"), try buffer.readStat())
        case .children: return .children(try buffer.readJuteStrings("children"), try buffer.readStat())
        case .multi: return .multi(try RawMultiResult.decodeAll(from: &buffer))
        }
    }
}

/// The handshake's request (jute `ConnectRequest`), framed.
struct ConnectRequest {
    var lastZxidSeen: Int64
    var timeoutMilliseconds: Int32
    var sessionID: Int64
    var password: [UInt8]

    func packet(allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 64)
        buffer.writeInteger(0 as Int32)
        buffer.writeJuteInt(0)  // protocolVersion
        buffer.writeJuteLong(lastZxidSeen)
        buffer.writeJuteInt(timeoutMilliseconds)
        buffer.writeJuteLong(sessionID)
        buffer.writeJuteBuffer(password)
        buffer.writeJuteBool(false)  // readOnly: this client never asks for a read-only server
        buffer.setInteger(Int32(buffer.readableBytes - 4), at: 0)
        return buffer
    }
}

/// The handshake's reply (jute `ConnectResponse`); a timeout of 0 or less means the session expired.
struct ConnectResponse: Equatable {
    var protocolVersion: Int32
    var timeoutMilliseconds: Int32
    var sessionID: Int64
    var password: [UInt8]

    init(protocolVersion: Int32, timeoutMilliseconds: Int32, sessionID: Int64, password: [UInt8]) {
        self.protocolVersion = protocolVersion
        self.timeoutMilliseconds = timeoutMilliseconds
        self.sessionID = sessionID
        self.password = password
    }

    init(from buffer: inout ByteBuffer) throws {
        protocolVersion = try buffer.readJuteInt("protocolVersion")
        timeoutMilliseconds = try buffer.readJuteInt("timeOut")
        sessionID = try buffer.readJuteLong("sessionId")
        password = try buffer.readJuteBuffer("passwd")
        // A trailing readOnly flag may follow; this client does not use it.
    }
}

/// A reply header (jute `ReplyHeader`).
struct ReplyHeader {
    var xid: Int32
    var zxid: Int64
    var error: Int32

    init(from buffer: inout ByteBuffer) throws {
        xid = try buffer.readJuteInt("xid")
        zxid = try buffer.readJuteLong("zxid")
        error = try buffer.readJuteInt("err")
    }
}

/// A notification's body (jute `WatcherEvent`), with the server-side path.
struct WatcherEventRecord {
    var type: Int32
    var state: Int32
    var path: String

    init(from buffer: inout ByteBuffer) throws {
        type = try buffer.readJuteInt("type")
        state = try buffer.readJuteInt("state")
        path = try buffer.readJuteString("path")
    }
}

/// The SetWatches packets re-registering watches on a new connection (xid −8), split so that
/// none exceeds `limit` bytes of paths, as the Java client does (it uses 128 KiB).
func setWatchesPackets(
    relativeZxid: Int64, data: [String], exist: [String], child: [String], limit: Int = 128 * 1024,
    allocator: ByteBufferAllocator
) -> [ByteBuffer] {
    var packets: [ByteBuffer] = []
    var lists: [[String]] = [[], [], []]
    var size = 0
    func flush() {
        guard lists.contains(where: { !$0.isEmpty }) else { return }
        var buffer = allocator.buffer(capacity: size + 64)
        buffer.writeInteger(0 as Int32)
        buffer.writeJuteInt(SpecialXid.setWatches)
        buffer.writeJuteInt(OpCode.setWatches.rawValue)
        buffer.writeJuteLong(relativeZxid)
        for list in lists { buffer.writeJuteStrings(list) }
        buffer.setInteger(Int32(buffer.readableBytes - 4), at: 0)
        packets.append(buffer)
        lists = [[], [], []]
        size = 0
    }
    for (kind, paths) in [data, exist, child].enumerated() {
        for path in paths {
            if size + path.utf8.count + 4 > limit { flush() }
            lists[kind].append(path)
            size += path.utf8.count + 4
        }
    }
    flush()
    return packets
}

/// A ping (xid −2).
func pingPacket(allocator: ByteBufferAllocator) -> ByteBuffer {
    var buffer = allocator.buffer(capacity: 12)
    buffer.writeInteger(8 as Int32)
    buffer.writeJuteInt(SpecialXid.ping)
    buffer.writeJuteInt(OpCode.ping.rawValue)
    return buffer
}
