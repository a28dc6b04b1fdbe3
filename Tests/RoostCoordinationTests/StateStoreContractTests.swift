import Foundation
import RoostCoordination
import RoostCore
import Testing
import ZooKeeperNIO
import ZooKeeperTesting

/// Runs `body` with a new empty directory, removed afterwards whatever happens.
func withTemporaryDirectory<R>(_ body: (String) async throws -> R) async throws -> R {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("roost-coord-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

/// The stores the shared contract is checked against.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case inMemory
    case file
    case zooKeeper

    var testDescription: String { rawValue }

    /// Runs `body` with a new, empty store of this kind (the file store in a temporary
    /// directory that is removed afterwards, the ZooKeeper store on a server of its own that is
    /// stopped afterwards).
    func withStore(maxValueSize: Int? = nil, _ body: (any StateStore) async throws -> Void) async throws {
        switch self {
        case .inMemory:
            var configuration = InMemoryStateStore.Configuration()
            if let maxValueSize { configuration.maxValueSize = maxValueSize }
            try await body(InMemoryStateStore(configuration: configuration))
        case .file:
            try await withTemporaryDirectory { (directory: String) async throws in
                // A directory that does not exist yet: the store creates it.
                var configuration = FileStateStore.Configuration(directory: directory + "/state/store")
                if let maxValueSize { configuration.maxValueSize = maxValueSize }
                try await body(try FileStateStore(configuration: configuration))
            }
        case .zooKeeper:
            try await ZooKeeperServer.withServer { server in
                try await ZooKeeperClient.withClient(configuration: clientConfiguration(server.connectString)) { client in
                    var configuration = ZooKeeperStateStore.Configuration(rootPath: "/roost/state")
                    if let maxValueSize { configuration.maxValueSize = maxValueSize }
                    try await body(try ZooKeeperStateStore(client: client, configuration: configuration))
                }
            }
        }
    }
}

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

// MARK: - The contract, against every store

extension CoordinationTests {
    /// The contract of RoostCore's `StateStore`, checked against the in-memory, file and ZooKeeper stores
    /// (each ZooKeeper case on its own server, hence in the serialized suite).
    @Suite struct StateStoreContractTests {
        @Test(arguments: StoreKind.allCases)
        func createReadAndAbsentChecks(kind: StoreKind) async throws {
            try await kind.withStore { (store: any StateStore) async throws in
                let key: StateKey = "frameworks/batch/id"
                #expect(try await store.get(key) == nil)
                #expect(try await store.put(key, bytes("fw-1"), expecting: .absent) == 1)
                #expect(try await store.get(key) == VersionedValue(key: key, value: bytes("fw-1"), version: 1))

                let again = await #expect(throws: StateStoreError.self) {
                    try await store.put(key, bytes("fw-2"), expecting: .absent)
                }
                #expect(again?.code == .versionMismatch)
                #expect(again?.key == "frameworks/batch/id")
                #expect(
                    again?.message
                        == "put frameworks/batch/id expected the key to be absent but found version 1; re-read and retry")
                #expect(try await store.get(key)?.value == bytes("fw-1"))
            }
        }

        @Test(arguments: StoreKind.allCases)
        func versionsStartAtOneAndIncreaseByOnePerPut(kind: StoreKind) async throws {
            try await kind.withStore { (store: any StateStore) async throws in
                let key: StateKey = "jobs/nightly"
                #expect(try await store.put(key, bytes("v1")) == 1)
                #expect(try await store.put(key, bytes("v2")) == 2)
                #expect(try await store.put(key, bytes("v3"), expecting: .any) == 3)
                #expect(try await store.put(key, bytes("v4"), expecting: .exactly(3)) == 4)
                #expect(try await store.get(key) == VersionedValue(key: key, value: bytes("v4"), version: 4))
                // Versions are per key.
                #expect(try await store.put("jobs/other", bytes("x")) == 1)
            }
        }

        @Test(arguments: StoreKind.allCases)
        func staleCompareAndSetFailsAndChangesNothing(kind: StoreKind) async throws {
            try await kind.withStore { (store: any StateStore) async throws in
                let key: StateKey = "frameworks/x"
                try await store.put(key, bytes("one"))
                try await store.put(key, bytes("two"))
                let stale = await #expect(throws: StateStoreError.self) {
                    try await store.put(key, bytes("lost update"), expecting: .exactly(1))
                }
                #expect(stale?.code == .versionMismatch)
                #expect(stale?.message == "put frameworks/x expected version 1 but found version 2; re-read and retry")
                #expect(try await store.get(key) == VersionedValue(key: key, value: bytes("two"), version: 2))

                let missing = await #expect(throws: StateStoreError.self) {
                    try await store.put("frameworks/y", bytes("?"), expecting: .exactly(1))
                }
                #expect(missing?.message == "put frameworks/y expected version 1 but the key is absent; re-read and retry")
                #expect(try await store.get("frameworks/y") == nil)
                #expect(try await store.list() == ["frameworks/x"])
            }
        }

        @Test(arguments: StoreKind.allCases)
        func deleteHonoursExpectedVersions(kind: StoreKind) async throws {
            try await kind.withStore { (store: any StateStore) async throws in
                let key: StateKey = "services/web"
                #expect(try await store.delete(key) == false)
                #expect(try await store.delete(key, expecting: .absent) == false)
                let absent = await #expect(throws: StateStoreError.self) {
                    try await store.delete(key, expecting: .exactly(1))
                }
                #expect(absent?.message == "delete services/web expected version 1 but the key is absent; re-read and retry")

                try await store.put(key, bytes("a"))
                try await store.put(key, bytes("b"))
                let stale = await #expect(throws: StateStoreError.self) {
                    try await store.delete(key, expecting: .exactly(1))
                }
                #expect(stale?.code == .versionMismatch)
                #expect(stale?.message == "delete services/web expected version 1 but found version 2; re-read and retry")
                let present = await #expect(throws: StateStoreError.self) {
                    try await store.delete(key, expecting: .absent)
                }
                #expect(present?.code == .versionMismatch)
                #expect(try await store.get(key)?.version == 2)

                #expect(try await store.delete(key, expecting: .exactly(2)) == true)
                #expect(try await store.get(key) == nil)
                #expect(try await store.list() == [])

                // Re-created: versions start again at 1, as a ZooKeeper znode's do.
                #expect(try await store.put(key, bytes("c"), expecting: .absent) == 1)
                #expect(try await store.delete(key) == true)
                #expect(try await store.delete(key) == false)
            }
        }

        @Test(arguments: StoreKind.allCases)
        func listByPrefixMatchesWholeSegments(kind: StoreKind) async throws {
            try await kind.withStore { (store: any StateStore) async throws in
                #expect(try await store.list() == [])
                for key: StateKey in ["b", "ab", "a-b", "a/b/c", "a", "a/b", "x/y/z"] {
                    try await store.put(key, bytes(key.path))
                }
                #expect(try await store.list() == ["a", "a/b", "a/b/c", "a-b", "ab", "b", "x/y/z"])
                #expect(try await store.list(prefix: "a") == ["a", "a/b", "a/b/c"])
                #expect(try await store.list(prefix: "a/b") == ["a/b", "a/b/c"])
                #expect(try await store.list(prefix: "a/b/c/d") == [])
                #expect(try await store.list(prefix: "c") == [])
                // A prefix need not be stored itself.
                #expect(try await store.list(prefix: "x") == ["x/y/z"])
                #expect(try await store.list(prefix: "x/y") == ["x/y/z"])
                // A key and the keys below it are independent values.
                #expect(try await store.get("a")?.value == bytes("a"))
                #expect(try await store.get("a/b")?.value == bytes("a/b"))
                try await store.delete("a")
                #expect(try await store.list(prefix: "a") == ["a/b", "a/b/c"])
            }
        }

        @Test(arguments: StoreKind.allCases)
        func unusualKeysAndValuesRoundTrip(kind: StoreKind) async throws {
            try await kind.withStore { (store: any StateStore) async throws in
                let allBytes = (0..<1024).map { UInt8(truncatingIfNeeded: $0 &* 7) }
                let keys: [StateKey] = [
                    "Jobs/Nightly", "jobs/nightly", "caf\u{E9}", "cafe\u{301}", ".dot/%25/~tilde", "a b/c+d",
                    try StateKey(String(repeating: "long-Segment/", count: 78) + "end"),
                    try StateKey(String(repeating: "é", count: 512)),
                ]
                #expect(keys.allSatisfy { $0.path.utf8.count <= StateKey.maxLength })
                for (index, key) in keys.enumerated() {
                    #expect(try await store.put(key, [UInt8(index)] + allBytes) == 1, "\(key)")
                }
                try await store.put("empty", [])
                for (index, key) in keys.enumerated() {
                    #expect(try await store.get(key)?.value == [UInt8(index)] + allBytes, "\(key)")
                }
                #expect(try await store.get("empty") == VersionedValue(key: "empty", value: [], version: 1))
                #expect(try await store.list() == (keys + ["empty"]).sorted())
            }
        }

        @Test(arguments: StoreKind.allCases)
        func tooLargeValueIsRejectedAndThePreviousValueKept(kind: StoreKind) async throws {
            try await kind.withStore(maxValueSize: 1000) { (store: any StateStore) async throws in
                let key: StateKey = "specs/big"
                let fits = [UInt8](repeating: 1, count: 1000)
                #expect(try await store.put(key, fits) == 1)
                let error = await #expect(throws: StateStoreError.self) {
                    try await store.put(key, [UInt8](repeating: 2, count: 1001))
                }
                #expect(error?.code == .valueTooLarge)
                #expect(error?.key == "specs/big")
                #expect(
                    error?.message
                        == "put specs/big: the value is 1001 bytes and the limit is 1000 (maxValueSize); store large data elsewhere and keep a reference here"
                )
                #expect(try await store.get(key) == VersionedValue(key: key, value: fits, version: 1))

                await #expect(throws: StateStoreError.self) {
                    try await store.put("specs/new", [UInt8](repeating: 0, count: 1001), expecting: .absent)
                }
                #expect(try await store.get("specs/new") == nil)
            }
        }

        struct Job: Codable, Equatable {
            var name: String
            var cpus: Double
            var tags: [String]
        }

        @Test(arguments: StoreKind.allCases)
        func jsonHelpersRoundTripAndReportUndecodableValues(kind: StoreKind) async throws {
            try await kind.withStore { (store: any StateStore) async throws in
                let key: StateKey = "frameworks/batch/jobs/nightly"
                let job = Job(name: "nightly", cpus: 0.5, tags: ["etl"])
                #expect(try await store.putJSON(key, job, expecting: .absent) == 1)
                #expect(try await store.get(key)?.value == bytes(#"{"cpus":0.5,"name":"nightly","tags":["etl"]}"#))

                // Read-modify-write with the version read.
                var read = try #require(try await store.getJSON(key, as: Job.self))
                #expect(read == VersionedValue(key: key, value: job, version: 1))
                read.value.cpus = 2
                #expect(try await store.putJSON(key, read.value, expecting: .exactly(read.version)) == 2)
                #expect(try await store.getJSON(key, as: Job.self)?.value.cpus == 2)
                #expect(try await store.getJSON("frameworks/batch/jobs/absent", as: Job.self) == nil)

                let wrongType = await #expect(throws: StateStoreError.self) {
                    try await store.getJSON(key, as: [Int].self)
                }
                #expect(wrongType?.code == .corrupted)
                #expect(wrongType?.key == key.path)
                #expect(wrongType?.message.hasPrefix("frameworks/batch/jobs/nightly (version 2) does not decode as Array<Int>") == true)

                try await store.put("garbage", bytes("{not json"))
                let garbage = await #expect(throws: StateStoreError.self) {
                    try await store.getJSON("garbage", as: Job.self)
                }
                #expect(garbage?.code == .corrupted)
                #expect(garbage?.message.contains("garbage (version 1) does not decode as Job") == true)

                let unencodable = await #expect(throws: StateStoreError.self) {
                    try await store.putJSON("nan", Job(name: "x", cpus: .nan, tags: []))
                }
                #expect(unencodable?.code == .invalidValue)
                #expect(unencodable?.message.hasPrefix("put nan: Job cannot be encoded as JSON") == true)
                #expect(try await store.get("nan") == nil)
            }
        }

        @Test(arguments: StoreKind.allCases)
        func concurrentCompareAndSetHasExactlyOneWinnerPerVersion(kind: StoreKind) async throws {
            try await kind.withStore { (store: any StateStore) async throws in
                let key: StateKey = "leases/scheduler"
                let contenders = 8

                // Create: only one of many `.absent` puts wins.
                let created = try await Self.race(contenders) { index async throws(StateStoreError) in
                    try await store.put(key, [UInt8(index)], expecting: .absent)
                }
                #expect(created.winners.count == 1)
                #expect(created.losers == contenders - 1)

                for round in 1...5 {
                    let version = StateVersion(Int64(round))
                    let result = try await Self.race(contenders) { index async throws(StateStoreError) in
                        try await store.put(key, [UInt8(round), UInt8(index)], expecting: .exactly(version))
                    }
                    let winner = try #require(result.winners.first, "round \(round) had no winner")
                    #expect(result.winners.count == 1, "round \(round): \(result.winners)")
                    #expect(result.losers == contenders - 1)
                    #expect(winner.version == version.next)
                    #expect(
                        try await store.get(key)
                            == VersionedValue(key: key, value: [UInt8(round), UInt8(winner.index)], version: version.next))
                }
            }
        }

        @Test(arguments: StoreKind.allCases)
        func concurrentReadModifyWriteLosesNoUpdate(kind: StoreKind) async throws {
            try await kind.withStore { (store: any StateStore) async throws in
                let key: StateKey = "counters/launches"
                try await store.putJSON(key, 0)
                let tasks = 4, increments = 10
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<tasks {
                        group.addTask {
                            for _ in 0..<increments {
                                while true {
                                    let current = try #require(try await store.getJSON(key, as: Int.self))
                                    do {
                                        try await store.putJSON(key, current.value + 1, expecting: .exactly(current.version))
                                        break
                                    } catch let error as StateStoreError where error.code == .versionMismatch {
                                        continue  // lost the race: re-read and retry
                                    }
                                }
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                let final = try #require(try await store.getJSON(key, as: Int.self))
                #expect(final.value == tasks * increments)
                #expect(final.version == StateVersion(Int64(1 + tasks * increments)))
            }
        }

        /// Runs `attempt(0..<contenders)` at once; returns who succeeded (with the version) and
        /// how many failed with `.versionMismatch` (any other error is rethrown).
        static func race(
            _ contenders: Int,
            _ attempt: @escaping @Sendable (Int) async throws(StateStoreError) -> StateVersion
        ) async throws -> (winners: [(index: Int, version: StateVersion)], losers: Int) {
            try await withThrowingTaskGroup(of: (Int, StateVersion?).self) { group in
                for index in 0..<contenders {
                    group.addTask {
                        do {
                            return (index, try await attempt(index))
                        } catch let error as StateStoreError where error.code == .versionMismatch {
                            return (index, nil)
                        }
                    }
                }
                var winners: [(index: Int, version: StateVersion)] = []
                var losers = 0
                for try await (index, version) in group {
                    if let version { winners.append((index, version)) } else { losers += 1 }
                }
                return (winners, losers)
            }
        }
    }
}
