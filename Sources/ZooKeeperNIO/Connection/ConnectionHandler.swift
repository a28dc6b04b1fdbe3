import Logging
import NIOCore
import Synchronization

/// A request on its way to the connection's event loop.
struct OutboundRequest: Sendable {
    /// The framed packet; the handler writes the xid into it.
    var packet: ByteBuffer
    var shape: ReplyShape
    var slot: ReplySlot
    var watch: PendingWatch?
}

/// A watch to register when the reply arrives (before any later notification is read).
struct PendingWatch: Sendable {
    var watch: ZooKeeperWatch
    var serverPath: String
}

/// The highest zxid the session has seen, shared by its successive connections.
final class ZxidTracker: Sendable {
    private let value = Atomic<Int64>(0)
    var current: Int64 { value.load(ordering: .relaxed) }
    /// Only the current connection's event loop calls this, so load-then-store keeps the maximum.
    func saw(_ zxid: Int64) {
        if zxid > value.load(ordering: .relaxed) { value.store(zxid, ordering: .relaxed) }
    }
}

/// One TCP connection to one server, on its event loop: the handshake, then requests with
/// increasing xids whose replies come back in the same order (a FIFO of pending requests),
/// notifications (xid −1), pings (xid −2) at a third of the session timeout when nothing else
/// was sent, and the connection declared lost when nothing was heard for two thirds of it.
final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private struct Pending {
        var xid: Int32
        var shape: ReplyShape
        var slot: ReplySlot
        var watch: PendingWatch?
    }

    private enum State { case handshaking, ready, closed }

    private var state = State.handshaking
    private let connectRequest: ConnectRequest
    private let handshake: EventLoopPromise<ConnectResponse>
    private let watches: WatchRegistry
    private let zxid: ZxidTracker
    private let logger: Logger
    private var pending = CircularBuffer<Pending>(initialCapacity: 64)
    private var nextXid: Int32 = 1
    private var context: ChannelHandlerContext?
    private var lastReceived = NIODeadline.now()
    private var lastSent = NIODeadline.now()
    private var timer: Scheduled<Void>?
    private var readTimeout = TimeAmount.seconds(6)
    private var pingInterval = TimeAmount.seconds(3)

    init(connectRequest: ConnectRequest, handshake: EventLoopPromise<ConnectResponse>, watches: WatchRegistry, zxid: ZxidTracker, logger: Logger) {
        self.connectRequest = connectRequest
        self.handshake = handshake
        self.watches = watches
        self.zxid = zxid
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { sendConnectRequest(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        sendConnectRequest(context: context)
        context.fireChannelActive()
    }

    private func sendConnectRequest(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(connectRequest.packet(allocator: context.channel.allocator)), promise: nil)
        lastSent = .now()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var frame = unwrapInboundIn(data)
        lastReceived = .now()
        do {
            switch state {
            case .handshaking: try handleConnectResponse(context: context, frame: &frame)
            case .ready: try handleReply(context: context, frame: &frame)
            case .closed: break
            }
        } catch {
            logger.warning("zookeeper: closing connection after a malformed packet", metadata: ["error": "\(error)"])
            context.close(promise: nil)
        }
    }

    private func handleConnectResponse(context: ChannelHandlerContext, frame: inout ByteBuffer) throws {
        let response = try ConnectResponse(from: &frame)
        guard response.timeoutMilliseconds > 0 else {
            state = .closed
            handshake.fail(ZooKeeperError(.sessionExpired, "session 0x\(String(connectRequest.sessionID, radix: 16)) expired"))
            context.close(promise: nil)
            return
        }
        state = .ready
        let timeout = TimeAmount.milliseconds(Int64(response.timeoutMilliseconds))
        readTimeout = .nanoseconds(timeout.nanoseconds * 2 / 3)
        pingInterval = .nanoseconds(timeout.nanoseconds / 3)
        // Watches go back before any request, so none of their changes can be missed.
        let paths = watches.paths()
        let packets = setWatchesPackets(
            relativeZxid: zxid.current, data: paths.data, exist: paths.exist, child: paths.child, allocator: context.channel.allocator)
        for packet in packets { context.write(wrapOutboundOut(packet), promise: nil) }
        if !packets.isEmpty {
            context.flush()
            lastSent = .now()
        }
        scheduleTimer(context: context)
        handshake.succeed(response)
    }

    private func handleReply(context: ChannelHandlerContext, frame: inout ByteBuffer) throws {
        let header = try ReplyHeader(from: &frame)
        zxid.saw(header.zxid)
        switch header.xid {
        case SpecialXid.notification:
            let event = try WatcherEventRecord(from: &frame)
            watches.trigger(type: event.type, serverPath: event.path)
        case SpecialXid.ping, SpecialXid.authentication:
            break
        case SpecialXid.setWatches:
            if header.error != 0 {
                logger.warning("zookeeper: SetWatches failed", metadata: ["error": "\(ZooKeeperError.Code(rawValue: header.error))"])
            }
        default:
            guard let request = pending.popFirst() else {
                throw JuteDecodingError(what: "reply xid \(header.xid) with no request pending")
            }
            guard request.xid == header.xid else {
                pending.prepend(request)
                throw JuteDecodingError(what: "reply xid \(header.xid) while xid \(request.xid) is next")
            }
            complete(request, header: header, frame: &frame)
        }
    }

    private func complete(_ request: Pending, header: ReplyHeader, frame: inout ByteBuffer) {
        if header.error != 0 && !(request.shape == .multi && frame.readableBytes > 0) {
            let code = ZooKeeperError.Code(rawValue: header.error)
            if code == .noNode, let pendingWatch = request.watch, pendingWatch.watch.kind == .exists {
                watches.register(pendingWatch.watch, serverPath: pendingWatch.serverPath, list: .exist)
            }
            request.slot.resume(.failure(ZooKeeperError(code, code.explanation)))
            return
        }
        do {
            let reply = try Reply.decode(request.shape, from: &frame)
            if let pendingWatch = request.watch {
                let list: WatchRegistry.List = pendingWatch.watch.kind == .children ? .child : .data
                watches.register(pendingWatch.watch, serverPath: pendingWatch.serverPath, list: list)
            }
            request.slot.resume(.success(reply))
        } catch {
            request.slot.resume(.failure(ZooKeeperError(.marshallingError, "\(error)")))
        }
    }

    /// Sends requests, in order, with one flush (one system call): called on the event loop.
    func send(_ requests: [OutboundRequest]) {
        guard state == .ready, let context else {
            for request in requests {
                request.slot.resume(.failure(ZooKeeperError(.notSent, "connection closed before the request was sent")))
            }
            return
        }
        for request in requests {
            let xid = nextXid
            nextXid = nextXid == .max ? 1 : nextXid + 1
            var packet = request.packet
            packet.setInteger(xid, at: Packet.xidIndex)
            pending.append(Pending(xid: xid, shape: request.shape, slot: request.slot, watch: request.watch))
            context.write(wrapOutboundOut(packet), promise: nil)
        }
        context.flush()
        lastSent = .now()
    }

    private func scheduleTimer(context: ChannelHandlerContext) {
        let period = TimeAmount.nanoseconds(max(pingInterval.nanoseconds / 4, 10_000_000))
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: period) {
            self.tick()
        }
    }

    private func tick() {
        guard state == .ready, let context else { return }
        let now = NIODeadline.now()
        if now - lastReceived > readTimeout {
            logger.info(
                "zookeeper: nothing heard from the server; closing the connection",
                metadata: ["server": "\(context.remoteAddress.map { "\($0)" } ?? "?")", "silence": "\(now - lastReceived)"])
            context.close(promise: nil)
            return
        }
        if now - lastSent >= pingInterval {
            context.writeAndFlush(wrapOutboundOut(pingPacket(allocator: context.channel.allocator)), promise: nil)
            lastSent = now
        }
        scheduleTimer(context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        state = .closed
        timer?.cancel()
        handshake.fail(ZooKeeperError(.connectionLoss, "connection closed during the handshake"))
        let lost = pending
        pending.removeAll()
        for request in lost {
            request.slot.resume(.failure(ZooKeeperError(.connectionLoss, ZooKeeperError.Code.connectionLoss.explanation)))
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("zookeeper: connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }
}

/// A live, handshaken connection, usable from any task.
///
/// Requests from any thread go into an outbox; the first one into an empty outbox schedules one
/// event-loop task that sends everything queued by then with one flush, so many concurrent
/// callers cost one wake-up and one system call, not one each.
final class Connection: Sendable {
    let channel: any Channel
    let server: ServerAddress
    let response: ConnectResponse
    private let handler: NIOLoopBound<ConnectionHandler>
    private let outbox = Mutex<(requests: [OutboundRequest], scheduled: Bool)>(([], false))

    init(channel: any Channel, server: ServerAddress, response: ConnectResponse, handler: NIOLoopBound<ConnectionHandler>) {
        self.channel = channel
        self.server = server
        self.response = response
        self.handler = handler
    }

    func send(_ request: OutboundRequest) {
        let schedule = outbox.withLock { outbox in
            outbox.requests.append(request)
            if outbox.scheduled { return false }
            outbox.scheduled = true
            return true
        }
        guard schedule else { return }
        channel.eventLoop.execute { [self] in
            let requests = outbox.withLock { outbox in
                outbox.scheduled = false
                defer { outbox.requests = [] }
                return outbox.requests
            }
            handler.value.send(requests)
        }
    }

    func close() {
        channel.close(promise: nil)
    }
}
