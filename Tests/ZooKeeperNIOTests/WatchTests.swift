import RoostTesting
import Testing
import ZooKeeperNIO
import ZooKeeperTesting

extension ZooKeeperTests {
    /// One-shot watches of each kind, set by one client and fired by another's change.
    @Suite struct Watches {
        @Test func dataWatchFiresOnceOnChange() async throws {
            try await ZooKeeperServer.withServer { server in
                try await ZooKeeperClient.withClient(configuration: configuration(server.connectString)) { watcher in
                    try await ZooKeeperClient.withClient(configuration: configuration(server.connectString)) { writer in
                        try await writer.create("/d", data: bytes("1"))
                        let (node, watch) = try await watcher.watchData("/d")
                        #expect(node.data == bytes("1"))
                        #expect(!watch.isDone)
                        try await writer.setData("/d", data: bytes("2"))
                        #expect(try await watch.event == WatchedEvent(type: .nodeDataChanged, path: "/d"))

                        // One-shot: a second change does not fire it again (and the server holds no watch).
                        try await writer.setData("/d", data: bytes("3"))
                        try await writer.sync("/d")
                        #expect(try await watch.event.type == .nodeDataChanged)
                        #expect(!(try server.fourLetterWord("wchc")).contains("/d"))

                        // A data watch also fires on deletion.
                        let (_, second) = try await watcher.watchData("/d")
                        #expect(try server.fourLetterWord("wchc").contains("/d"))
                        try await writer.delete("/d")
                        #expect(try await second.event == WatchedEvent(type: .nodeDeleted, path: "/d"))

                        // No watch is set on a missing node by getData.
                        await expectError(.noNode) { try await watcher.watchData("/d") }
                    }
                }
            }
        }

        @Test func existsWatchFiresOnCreationOfMissingNode() async throws {
            try await ZooKeeperServer.withServer { server in
                try await ZooKeeperClient.withClient(configuration: configuration(server.connectString)) { watcher in
                    try await ZooKeeperClient.withClient(configuration: configuration(server.connectString)) { writer in
                        let (stat, watch) = try await watcher.watchExists("/later")
                        #expect(stat == nil)
                        try await writer.create("/later")
                        #expect(try await watch.event == WatchedEvent(type: .nodeCreated, path: "/later"))

                        let (existing, onChange) = try await watcher.watchExists("/later")
                        #expect(existing != nil)
                        try await writer.setData("/later", data: bytes("x"))
                        #expect(try await onChange.event.type == .nodeDataChanged)
                    }
                }
            }
        }

        @Test func childWatchFiresOnceOnNewChild() async throws {
            try await ZooKeeperServer.withServer { server in
                try await ZooKeeperClient.withClient(configuration: configuration(server.connectString)) { watcher in
                    try await ZooKeeperClient.withClient(configuration: configuration(server.connectString)) { writer in
                        try await writer.create("/p")
                        let (children, watch) = try await watcher.watchChildren("/p")
                        #expect(children.children.isEmpty)
                        // Data changes of the parent do not fire a child watch.
                        try await writer.setData("/p", data: bytes("x"))
                        try await writer.create("/p/c1")
                        try await writer.create("/p/c2")
                        #expect(try await watch.event == WatchedEvent(type: .nodeChildrenChanged, path: "/p"))
                        try await writer.sync("/p")
                        #expect(!(try server.fourLetterWord("wchc")).contains("/p"))
                    }
                }
            }
        }

        @Test func manyWaitersAndCloseFailsPendingWatches() async throws {
            try await ZooKeeperServer.withServer { server in
                let client = try await ZooKeeperClient.connect(configuration: configuration(server.connectString))
                try await client.create("/w")
                let (_, watch) = try await client.watchData("/w")
                let waiters = (0..<3).map { _ in Task { try await watch.event } }
                try await client.close()
                for waiter in waiters {
                    await #expect(throws: ZooKeeperError.self) { try await waiter.value }
                }
                await expectError(.closed) { try await watch.event }
            }
        }
    }
}
