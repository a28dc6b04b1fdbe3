import RoostTesting
import Testing
import ZooKeeperNIO
import ZooKeeperTesting

extension ZooKeeperTests {
    /// Sessions across connection loss, server restarts, expiry and failover.
    @Suite(.tags(.slow)) struct Sessions {
        @Test func sameSessionAfterServerRestart() async throws {
            try await ZooKeeperServer.withServer { server in
                try await ZooKeeperClient.withClient(configuration: configuration(server.connectString)) { client in
                    let states = StateRecorder(client)
                    let session = client.sessionID
                    try await client.create("/owner", data: bytes("me"), mode: .ephemeral)
                    try await client.create("/watched")
                    let (_, watch) = try await client.watchData("/watched")

                    // A crash: the TCP connection dies with the server; the session is in its log.
                    await server.stopKeepingData(graceful: false)
                    try await waitUntil("client suspended") { client.state == .suspended }
                    // While disconnected, a request waits for the next connection.
                    let pending = Task { try await client.getData("/owner") }
                    try await server.restart()
                    try await waitUntil("client reconnected") { client.state == .reconnected }

                    #expect(client.sessionID == session)
                    #expect(try await pending.value.stat.ephemeralOwner == session)
                    // The stream delivers events asynchronously: wait for the recorder to have them all.
                    try await waitUntil("events .connected, .suspended, .reconnected recorded") { states.all == [.connected, .suspended, .reconnected] }

                    // The watch went back to the server with SetWatches and still fires.
                    try await ZooKeeperClient.withClient(configuration: configuration(server.connectString)) { writer in
                        try await writer.setData("/watched", data: bytes("new"))
                    }
                    #expect(try await watch.event == WatchedEvent(type: .nodeDataChanged, path: "/watched"))
                    // The new connection runs on the same loop: callers on the executor still get replies.
                    let data = try await withTaskExecutorPreference(client.taskExecutor) { try await client.getData("/watched").data }
                    #expect(data == bytes("new"))
                }
            }
        }

        /// Pings keep an idle session alive past its timeout.
        @Test func idleSessionIsKeptAliveByPings() async throws {
            try await ZooKeeperServer.withServer { server in
                try await ZooKeeperClient.withClient(configuration: configuration(server.connectString, sessionTimeout: .seconds(2))) { client in
                    let states = StateRecorder(client)
                    try await client.create("/alive", mode: .ephemeral)
                    // Idle for twice the session timeout: only pings cross the connection.
                    try await Task.sleep(for: .seconds(4))
                    #expect(try await client.exists("/alive")?.ephemeralOwner == client.sessionID)
                    #expect(states.all == [.connected])
                }
            }
        }

        /// A server that stops answering (frozen, its TCP connections still open) is noticed after
        /// two thirds of the session timeout in silence; the client then reconnects to the same session.
        @Test func silentServerIsDetectedAndSessionResumed() async throws {
            try await ZooKeeperServer.withServer { server in
                try await ZooKeeperClient.withClient(configuration: configuration(server.connectString, sessionTimeout: .seconds(6))) { client in
                    try await client.create("/still-here", mode: .ephemeral)
                    let frozenAt = ContinuousClock.now
                    server.pause()
                    try await waitUntil("client noticed the silence") { client.state == .suspended }
                    let silence = frozenAt.duration(to: .now)
                    server.resume()
                    // 4 s is two thirds of 6 s; pings every 2 s mean no earlier verdict.
                    #expect(silence >= .seconds(3.5))
                    try await waitUntil("client reconnected") { client.state == .reconnected }
                    #expect(try await client.exists("/still-here")?.ephemeralOwner == client.sessionID)
                }
            }
        }

        @Test func resumingAClosedSessionFailsAsExpired() async throws {
            try await ZooKeeperServer.withServer { server in
                let first = try await ZooKeeperClient.connect(configuration: configuration(server.connectString))
                let credentials = SessionCredentials(id: first.sessionID, password: first.sessionPassword)
                try await first.close()
                var resume = configuration(server.connectString)
                resume.session = credentials
                await expectError(.sessionExpired) { try await ZooKeeperClient.connect(configuration: resume) }
            }
        }

        /// The client's only server is down longer than the 2 s session: the quorum expires the
        /// session, and when the server comes back the client hears so and ends.
        @Test func sessionExpiresWhileTheClientsServerIsDown() async throws {
            try await ZooKeeperEnsemble.withEnsemble { ensemble in
                let lonely = ensemble.members[0]
                let client = try await ZooKeeperClient.connect(configuration: configuration(lonely.connectString, sessionTimeout: .seconds(2)))
                let states = StateRecorder(client)
                #expect(client.sessionTimeout == .seconds(2))
                try await client.create("/short-lived", mode: .ephemeral)
                let (_, watch) = try await client.watchData("/short-lived")
                let others = ensemble.members.dropFirst().map(\.connectString).joined(separator: ",")
                try await ZooKeeperClient.withClient(configuration: configuration(others)) { observer in
                    try await observer.sync("/")
                    #expect(try await observer.exists("/short-lived") != nil)
                    await lonely.stopKeepingData(graceful: false)
                    try await waitUntil("the quorum expired the session and deleted its ephemeral node") {
                        try await observer.exists("/short-lived") == nil
                    }
                }
                try await lonely.restart()
                try await waitUntil("client saw the expiry") { client.state == .expired }
                // The stream delivers events asynchronously: wait for the recorder to have them all.
                try await waitUntil("events .connected, .suspended, .expired recorded") { states.all == [.connected, .suspended, .expired] }
                await expectError(.sessionExpired) { try await client.getData("/short-lived") }
                await expectError(.sessionExpired) { try await watch.event }
                try await client.close()
            }
        }

        /// The server a client is connected to dies: the client moves to another member with the
        /// same session, its ephemeral node survives, and a watch fires for a change made meanwhile.
        @Test func failoverKeepsSessionEphemeralsAndWatches() async throws {
            try await ZooKeeperEnsemble.withEnsemble { ensemble in
                try await ZooKeeperClient.withClient(configuration: configuration(ensemble.connectString, sessionTimeout: .seconds(4))) { client in
                    let states = StateRecorder(client)
                    try await client.create("/leader", data: bytes("a"), mode: .ephemeral)
                    try await client.create("/config", data: bytes("v1"))
                    let (_, watch) = try await client.watchData("/config")
                    let server = try #require(client.connectedServer)
                    let member = try #require(ensemble.member(port: server.port))
                    let survivors = ensemble.members.filter { $0 !== member }.map(\.connectString).joined(separator: ",")

                    await member.stopKeepingData(graceful: false)
                    try await ZooKeeperClient.withClient(configuration: configuration(survivors)) { writer in
                        // Written while the client may still be between servers: the new server
                        // compares the watch's zxid with this change and fires it.
                        try await writer.setData("/config", data: bytes("v2"))
                    }
                    try await waitUntil("client failed over") { client.state == .reconnected }
                    #expect(client.connectedServer != nil && client.connectedServer != server)
                    #expect(try await watch.event == WatchedEvent(type: .nodeDataChanged, path: "/config"))
                    let leader = try #require(try await client.exists("/leader"))
                    #expect(leader.ephemeralOwner == client.sessionID)
                    #expect(try await client.getData("/config").data == bytes("v2"))
                    // The stream delivers events asynchronously: wait for the recorder to have them all.
                    try await waitUntil("events .connected, .suspended, .reconnected recorded") { states.all == [.connected, .suspended, .reconnected] }

                    // The member comes back as a follower; the client keeps working throughout.
                    try await member.restart()
                    #expect(member.mode() == "follower" || member.mode() == "leader")
                    try await client.setData("/config", data: bytes("v3"))
                }
            }
        }
    }
}
