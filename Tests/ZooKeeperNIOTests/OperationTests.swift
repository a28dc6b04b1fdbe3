import NIOPosix
import Testing
import ZooKeeperNIO
import ZooKeeperTesting

extension ZooKeeperTests {
    /// Every operation against a real standalone server.
    @Suite struct Operations {
        @Test func createGetSetDeleteRoundTrip() async throws {
            try await withServerAndClient { _, client in
                #expect(try await client.create("/app", data: bytes("v1")) == "/app")
                let node = try await client.getData("/app")
                #expect(node.data == bytes("v1"))
                #expect(node.stat.version == 0)
                #expect(node.stat.dataLength == 2)
                #expect(node.stat.ephemeralOwner == 0)

                let stat = try await client.setData("/app", data: bytes("v2"), version: 0)
                #expect(stat.version == 1)
                #expect(try await client.getData("/app").data == bytes("v2"))
                #expect(try await client.exists("/app")?.version == 1)

                try await client.delete("/app", version: 1)
                #expect(try await client.exists("/app") == nil)
            }
        }

        @Test func create2ReturnsStatAndChildrenAreListed() async throws {
            try await withServerAndClient { _, client in
                let (path, stat) = try await client.create2("/parent", data: bytes("p"))
                #expect(path == "/parent")
                #expect(stat.dataLength == 1)
                #expect(stat.czxid == stat.mzxid)
                for name in ["b", "a", "c"] { try await client.create("/parent/\(name)") }
                let children = try await client.getChildren("/parent")
                #expect(children.children.sorted() == ["a", "b", "c"])
                #expect(children.stat.numChildren == 3)
                #expect(children.stat.cversion == 3)
            }
        }

        @Test func sequentialEphemeralAndContainerModes() async throws {
            try await withServerAndClient { _, client in
                try await client.create("/q")
                let first = try await client.create("/q/item-", mode: .persistentSequential)
                let second = try await client.create("/q/item-", mode: .ephemeralSequential)
                #expect(first == "/q/item-0000000000")
                #expect(second == "/q/item-0000000001")
                #expect(try await client.exists(second)?.ephemeralOwner == client.sessionID)

                let ephemeral = try await client.create("/e", mode: .ephemeral)
                #expect(try await client.exists(ephemeral)?.ephemeralOwner == client.sessionID)

                try await client.create("/box", mode: .container)
                try await client.create("/box/child")
                #expect(try await client.getChildren("/box").children == ["child"])
            }
        }

        @Test func ephemeralNodesGoWithTheSession() async throws {
            try await ZooKeeperServer.withServer { server in
                try await ZooKeeperClient.withClient(configuration: configuration(server.connectString)) { observer in
                    let owner = try await ZooKeeperClient.connect(configuration: configuration(server.connectString))
                    try await owner.create("/lock", mode: .ephemeral)
                    #expect(try await observer.exists("/lock") != nil)
                    try await owner.close()
                    #expect(try await observer.exists("/lock") == nil)
                    // A closed client refuses further work with a typed error naming the path.
                    let error = await expectError(.closed) { try await owner.getData("/lock") }
                    #expect(error?.message.contains("getData /lock") == true)
                }
            }
        }

        @Test func errorCodesNameThePath() async throws {
            try await withServerAndClient { _, client in
                let missing = await expectError(.noNode) { try await client.getData("/missing") }
                #expect(missing?.path == "/missing")
                #expect(missing?.message == "getData /missing: node does not exist")
                await expectError(.noNode) { try await client.create("/no/parent") }
                await expectError(.noNode) { try await client.delete("/missing") }
                await expectError(.noNode) { try await client.setData("/missing", data: []) }
                await expectError(.noNode) { try await client.getChildren("/missing") }

                try await client.create("/n", data: bytes("x"))
                let exists = await expectError(.nodeExists) { try await client.create("/n") }
                #expect(exists?.message == "create /n: node already exists")
                await expectError(.badVersion) { try await client.setData("/n", data: [], version: 7) }
                await expectError(.badVersion) { try await client.delete("/n", version: 7) }

                try await client.create("/n/child")
                await expectError(.notEmpty) { try await client.delete("/n") }

                try await client.create("/eph", mode: .ephemeral)
                await expectError(.noChildrenForEphemerals) { try await client.create("/eph/child") }

                await expectError(.invalidACL) { try await client.create("/noacl", acl: []) }
                // Malformed paths are refused before anything is sent.
                await expectError(.badArguments) { try await client.create("relative") }
                await expectError(.badArguments) { try await client.getData("/a//b") }
                await expectError(.badArguments) { try await client.exists("/trailing/") }
            }
        }

        @Test func syncAndPipelinedRequestsKeepOrder() async throws {
            try await withServerAndClient { _, client in
                try await client.create("/counter")
                // Many requests in flight at once on one connection: every reply reaches its caller.
                try await withThrowingTaskGroup(of: (Int, String).self) { group in
                    for index in 0..<200 {
                        group.addTask { (index, try await client.create("/counter/n-\(index)", data: bytes("\(index)"))) }
                    }
                    for try await (index, path) in group { #expect(path == "/counter/n-\(index)") }
                }
                try await client.sync("/counter")
                #expect(try await client.getChildren("/counter").children.count == 200)
                try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
                    for index in 0..<200 {
                        group.addTask { (index, try await client.getData("/counter/n-\(index)").data) }
                    }
                    for try await (index, data) in group { #expect(data == bytes("\(index)")) }
                }
            }
        }

        /// Callers on the client's event loop (``ZooKeeperClient/taskExecutor``) get every reply in
        /// order, errors with their codes, watches, and cancellation, as callers elsewhere do.
        @Test func callersOnTheClientsEventLoop() async throws {
            try await withServerAndClient { _, client in
                try await client.create("/loop")
                try await withTaskExecutorPreference(client.taskExecutor) {
                    #expect(MultiThreadedEventLoopGroup.currentEventLoop != nil)
                    try await withThrowingTaskGroup(of: (Int, String).self) { group in
                        for index in 0..<300 {
                            group.addTask {
                                let path = try await client.create("/loop/n-\(index)", data: bytes("\(index)"))
                                // A child task inherits the preference: it is resumed on the loop.
                                #expect(MultiThreadedEventLoopGroup.currentEventLoop != nil)
                                return (index, path)
                            }
                        }
                        for try await (index, path) in group { #expect(path == "/loop/n-\(index)") }
                    }
                    try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
                        for index in 0..<300 {
                            group.addTask { (index, try await client.getData("/loop/n-\(index)").data) }
                        }
                        for try await (index, data) in group { #expect(data == bytes("\(index)")) }
                    }
                    await expectError(.nodeExists) { try await client.create("/loop/n-0") }
                    await expectError(.noNode) { try await client.getData("/loop/missing") }
                    let (_, watch) = try await client.watchData("/loop/n-1")
                    try await client.setData("/loop/n-1", data: bytes("changed"))
                    #expect(try await watch.event == WatchedEvent(type: .nodeDataChanged, path: "/loop/n-1"))

                    let cancelled = Task(executorPreference: client.taskExecutor) {
                        try await withThrowingTaskGroup(of: Void.self) { group in
                            for index in 0..<300 { group.addTask { try await client.create("/loop/c-\(index)") } }
                            try await group.waitForAll()
                        }
                    }
                    cancelled.cancel()
                    await #expect(throws: (any Error).self) { try await cancelled.value }
                    try await client.create("/loop/after", data: bytes("ok"))
                    #expect(try await client.getData("/loop/after").data == bytes("ok"))
                }
                // Outside the preference, calls run where they did before.
                #expect(try await client.getChildren("/loop").children.count >= 301)
            }
        }

        @Test func multiAppliesAllOrNothing() async throws {
            try await withServerAndClient { _, client in
                try await client.create("/m", data: bytes("0"))
                let results = try await client.multi([
                    .check(path: "/m", version: 0),
                    .create(path: "/m/a", data: bytes("a")),
                    .create(path: "/m/seq-", mode: .persistentSequential),
                    .setData(path: "/m", data: bytes("1"), version: 0),
                    .delete(path: "/m/a"),
                ])
                #expect(results.count == 5)
                #expect(results[0] == .check)
                #expect(results[1] == .create(path: "/m/a"))
                #expect(results[2] == .create(path: "/m/seq-0000000001"))
                guard case .setData(let stat) = results[3] else {
                    Issue.record("expected setData, got \(results[3])")
                    return
                }
                #expect(stat.version == 1)
                #expect(results[4] == .delete)

                // The third operation fails: nothing is applied, and each operation gets its code.
                let error = await expectError(.nodeExists) {
                    try await client.multi([
                        .create(path: "/m/b"),
                        .setData(path: "/m", data: bytes("2")),
                        .create(path: "/m/seq-0000000001"),
                        .delete(path: "/m/seq-0000000001"),
                    ])
                }
                #expect(error?.operationErrors == [.ok, .ok, .nodeExists, .runtimeInconsistency])
                #expect(error?.message.contains("operation 2 (/m/seq-0000000001)") == true)
                #expect(try await client.exists("/m/b") == nil)
                #expect(try await client.getData("/m").data == bytes("1"))

                await expectError(.badVersion) { try await client.multi([.check(path: "/m", version: 0)]) }
            }
        }

        @Test func chrootIsPrependedAndStripped() async throws {
            try await ZooKeeperServer.withServer { server in
                try await ZooKeeperClient.withClient(configuration: configuration(server.connectString)) { root in
                    try await root.create("/tenant")
                    try await ZooKeeperClient.withClient(configuration: configuration(server.connectString + "/tenant")) { tenant in
                        #expect(try await tenant.create("/job-", mode: .persistentSequential) == "/job-0000000000")
                        #expect(try await tenant.getChildren("/").children == ["job-0000000000"])
                        let results = try await tenant.multi([.create(path: "/x")])
                        #expect(results == [.create(path: "/x")])
                        let (_, watch) = try await tenant.watchData("/x")
                        try await root.setData("/tenant/x", data: bytes("changed"))
                        #expect(try await watch.event == WatchedEvent(type: .nodeDataChanged, path: "/x"))
                    }
                    #expect(try await root.getChildren("/tenant").children.sorted() == ["job-0000000000", "x"])
                }
            }
        }

        @Test func cancelledCallThrowsAndConnectionStaysUsable() async throws {
            try await withServerAndClient { _, client in
                let task = Task {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for index in 0..<500 { group.addTask { try await client.create("/c-\(index)") } }
                        try await group.waitForAll()
                    }
                }
                task.cancel()
                await #expect(throws: (any Error).self) { try await task.value }
                // Replies of cancelled requests are matched and dropped; later requests still get theirs.
                try await client.create("/after", data: bytes("ok"))
                #expect(try await client.getData("/after").data == bytes("ok"))
            }
        }
    }
}
