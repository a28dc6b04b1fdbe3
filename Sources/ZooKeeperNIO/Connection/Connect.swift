import Logging
import NIOCore
import NIOPosix

extension Connection {
    /// Opens a TCP connection to `server` and completes the handshake within `timeout`.
    /// - Throws: ``ZooKeeperError`` with ``ZooKeeperError/Code-swift.struct/sessionExpired`` when the server says the
    ///   session expired, ``ZooKeeperError/Code-swift.struct/connectionLoss`` when it cannot be reached in time.
    static func open(
        to server: ServerAddress, request: ConnectRequest, watches: WatchRegistry, zxid: ZxidTracker,
        eventLoop: any EventLoop, timeout: TimeAmount, maximumPacketLength: Int, logger: Logger
    ) async throws -> Connection {
        let handshake = eventLoop.makePromise(of: ConnectResponse.self)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let operations = channel.pipeline.syncOperations
                    try operations.addHandler(ByteToMessageHandler(FrameDecoder(maximumLength: maximumPacketLength)))
                    try operations.addHandler(
                        ConnectionHandler(connectRequest: request, handshake: handshake, watches: watches, zxid: zxid, logger: logger))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: server.host, port: server.port).get()
        } catch {
            handshake.fail(error)
            throw ZooKeeperError(.connectionLoss, "cannot connect to \(server): \(error)")
        }
        let deadline = eventLoop.scheduleTask(in: timeout) {
            handshake.fail(ZooKeeperError(.connectionLoss, "no handshake reply from \(server) within \(timeout)"))
            channel.close(promise: nil)
        }
        do {
            let response = try await handshake.futureResult.get()
            deadline.cancel()
            let handler = try await eventLoop.submit {
                NIOLoopBound(try channel.pipeline.syncOperations.handler(type: ConnectionHandler.self), eventLoop: eventLoop)
            }.get()
            return Connection(channel: channel, server: server, response: response, handler: handler)
        } catch let error as ZooKeeperError {
            deadline.cancel()
            channel.close(promise: nil)
            if error.code == .sessionExpired { throw error }
            throw ZooKeeperError(.connectionLoss, "\(server): \(error.message)")
        } catch {
            deadline.cancel()
            channel.close(promise: nil)
            throw ZooKeeperError(.connectionLoss, "\(server): \(error)")
        }
    }
}
