import Foundation
import RoostCoordination
import RoostCore
import Testing
import ZooKeeperNIO
import ZooKeeperTesting

struct ZooKeeperStateStoreNamingTests {
    @Test func keysMapToFlatNodeNames() throws {
        #expect(ZooKeeperStateStore.nodeName(for: "frameworks/batch/jobs/nightly") == "frameworks%2Fbatch%2Fjobs%2Fnightly")
        #expect(ZooKeeperStateStore.nodeName(for: "100%/x") == "100%25%2Fx")
        #expect(ZooKeeperStateStore.nodeName(for: "caf\u{E9}") == "caf\u{E9}")
    }
}

extension CoordinationTests {
    @Suite struct ZooKeeperStore {
        @Test func theLargestValueFitsARealServersDefaultBufferAndVersionsAreZnodeVersions() async throws {
            try await ZooKeeperServer.withServer { server in
                try await ZooKeeperClient.withClient(configuration: clientConfiguration(server.connectString)) { client in
                    let store = try ZooKeeperStateStore(client: client, configuration: .init(rootPath: "/roost/state"))
                    // The longest key, with a '/' in every other byte (each encoded as 3 bytes), and the largest value.
                    let key = try StateKey(String(repeating: "a/", count: 511) + "zz")
                    let value = [UInt8](repeating: 7, count: store.configuration.maxValueSize)
                    #expect(try await store.put(key, value, expecting: .absent) == 1)
                    #expect(try await store.get(key)?.value == value)
                    let tooLarge = await #expect(throws: StateStoreError.self) { try await store.put(key, value + [1]) }
                    #expect(tooLarge?.code == .valueTooLarge)

                    // The store's version is the znode's dataVersion + 1.
                    try await store.put("x", [1])
                    try await store.put("x", [2])
                    let stat = try #require(try await client.exists("/roost/state/x"))
                    #expect(stat.version == 1)
                    #expect(try await store.get("x")?.version == 2)
                    // A write behind the store's back is seen as a newer version: a stale put fails.
                    _ = try await client.setData("/roost/state/x", data: [9])
                    let stale = await #expect(throws: StateStoreError.self) { try await store.put("x", [3], expecting: .exactly(2)) }
                    #expect(stale?.message == "put x expected version 2 but found version 3; re-read and retry")
                    #expect(try await store.get("x") == VersionedValue(key: "x", value: [9], version: 3))
                }
            }
        }

        @Test func aForeignZnodeUnderTheRootIsReportedAndAClosedClientIsUnavailable() async throws {
            try await ZooKeeperServer.withServer { server in
                let client = try await ZooKeeperClient.connect(configuration: clientConfiguration(server.connectString))
                let notAPath = #expect(throws: StateStoreError.self) {
                    try ZooKeeperStateStore(client: client, configuration: .init(rootPath: "roost/state"))
                }
                #expect(notAPath?.message == "rootPath \"roost/state\" is not an absolute ZooKeeper path such as /roost/state")
                let store = try ZooKeeperStateStore(client: client, configuration: .init(rootPath: "/roost/state"))
                try await store.put("a/b", [1])
                _ = try await client.create("/roost/state/bad%zz")
                let error = await #expect(throws: StateStoreError.self) { try await store.list() }
                #expect(error?.code == .corrupted)
                #expect(error?.message.hasPrefix("/roost/state/bad%zz is not a state key's znode") == true, "\(error?.message ?? "")")
                try await client.delete("/roost/state/bad%zz")
                #expect(try await store.list() == ["a/b"])

                try await client.close()
                let closed = await #expect(throws: StateStoreError.self) { try await store.get("a/b") }
                #expect(closed?.code == .unavailable)
                #expect(closed?.message.hasPrefix("get a/b: ZooKeeper failed") == true, "\(closed?.message ?? "")")
            }
        }
    }
}
