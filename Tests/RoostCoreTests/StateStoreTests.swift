import Foundation
import RoostCore
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Support

/// Temporary directories and store factories shared by the state store tests.
enum StateStoreTestSupport {
    /// Runs `body` with a new empty directory, removed afterwards whatever happens.
    static func withTemporaryDirectory<R>(_ body: (String) async throws -> R) async throws -> R {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("roost-statestore-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try await body(path)
    }

    /// Names of the entries in `directory`, sorted.
    static func entries(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    }
}

/// The stores the shared contract is checked against.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case inMemory
    case file

    var testDescription: String { rawValue }

    /// Runs `body` with a new, empty store of this kind (the file store in a temporary
    /// directory that is removed afterwards).
    func withStore(maxValueSize: Int? = nil, _ body: (any StateStore) async throws -> Void) async throws {
        switch self {
        case .inMemory:
            var configuration = InMemoryStateStore.Configuration()
            if let maxValueSize { configuration.maxValueSize = maxValueSize }
            try await body(InMemoryStateStore(configuration: configuration))
        case .file:
            try await StateStoreTestSupport.withTemporaryDirectory { (directory: String) async throws in
                // A directory that does not exist yet: the store creates it.
                var configuration = FileStateStore.Configuration(directory: directory + "/state/store")
                if let maxValueSize { configuration.maxValueSize = maxValueSize }
                try await body(try FileStateStore(configuration: configuration))
            }
        }
    }
}

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

// MARK: - Keys, versions, errors

struct StateStoreVocabularyTests {
    @Test func validKeysKeepTheirPathAndSegments() throws {
        let key = try StateKey(String("frameworks/batch/jobs/nightly"))
        #expect(key.path == "frameworks/batch/jobs/nightly")
        #expect(key.segments == ["frameworks", "batch", "jobs", "nightly"])
        #expect(key.lastSegment == "nightly")
        #expect(key.parent == "frameworks/batch/jobs")
        #expect(StateKey("single").parent == nil)
        #expect(key.description == "frameworks/batch/jobs/nightly")
        // Literal construction, spaces, dots inside segments, Unicode in the BMP.
        let literal: StateKey = "a b/.hidden/v1.2/café"
        #expect(literal.segments == ["a b", ".hidden", "v1.2", "café"])
        // Exactly the length limit is fine.
        let longest = String(repeating: "x", count: StateKey.maxLength)
        #expect(try StateKey(longest).path.utf8.count == 1024)
    }

    @Test(arguments: [
        ("", "it is empty"),
        ("/a", "segment 1 is empty"),
        ("a/", "segment 2 is empty"),
        ("a//b", "segment 2 is empty"),
        (".", "segment 1 is '.'"),
        ("a/./b", "segment 2 is '.'"),
        ("a/..", "segment 2 is '..'"),
        ("a\u{0}b", "control character U+0000"),
        ("a\nb", "control character U+000A"),
        ("a\u{7F}", "control character U+007F"),
        ("a\u{85}", "control character U+0085"),
        ("a\u{E000}", "U+E000, which ZooKeeper paths do not allow"),
        ("ok/😀", "U+1F600, which ZooKeeper paths do not allow"),
        (String(repeating: "y", count: 1025), "1025 bytes and the limit is 1024"),
    ])
    func invalidKeysAreRejectedNamingTheKey(text: String, problem: String) throws {
        let error = #expect(throws: StateStoreError.self) { try StateKey(text) }
        #expect(error?.code == .invalidKey)
        #expect(error?.key == text)
        let message = try #require(error?.message)
        #expect(message.contains(problem), "\(message)")
        // The key is quoted with escapes (and shortened when long).
        #expect(message.hasPrefix("invalid state key " + String(String(reflecting: text).prefix(60))), "\(message)")
        #expect(message.contains("such as 'frameworks/batch/jobs/nightly'"), "message shows a valid key: \(message)")
    }

    @Test func aBadKeyLiteralTraps() async {
        await #expect(processExitsWith: .failure) {
            let key: StateKey = "a//b"
            _ = key
        }
    }

    @Test func appendingAddsOneValidatedSegment() throws {
        let jobs: StateKey = "frameworks/batch/jobs"
        #expect(try jobs.appending("nightly") == "frameworks/batch/jobs/nightly")

        let slash = #expect(throws: StateStoreError.self) { try jobs.appending("a/b") }
        #expect(slash?.code == .invalidKey)
        #expect(
            slash?.message
                == "cannot append segment \"a/b\" to frameworks/batch/jobs: a segment may not contain '/'; append one segment at a time"
        )
        for bad in ["", ".", "..", "tab\there"] {
            let error = #expect(throws: StateStoreError.self) { try jobs.appending(bad) }
            #expect(error?.code == .invalidKey, "segment \(String(reflecting: bad))")
        }
        let tooLong = #expect(throws: StateStoreError.self) {
            try jobs.appending(String(repeating: "z", count: StateKey.maxLength))
        }
        #expect(tooLong?.message.contains("the limit is 1024") == true)
    }

    @Test func hasPrefixMatchesWholeSegments() {
        let key: StateKey = "a/b/c"
        #expect(key.hasPrefix("a"))
        #expect(key.hasPrefix("a/b"))
        #expect(key.hasPrefix("a/b/c"))
        #expect(!key.hasPrefix("a/b/c/d"))
        #expect(!key.hasPrefix("a/bc"))
        #expect(!StateKey("a/bc").hasPrefix("a/b"))
        #expect(!StateKey("ab").hasPrefix("a"))
    }

    @Test func keysSortSegmentBySegment() {
        let keys: [StateKey] = ["b", "a-b", "ab", "a/b/c", "a", "a/b", "a/a"]
        #expect(keys.sorted() == ["a", "a/a", "a/b", "a/b/c", "a-b", "ab", "b"])
    }

    @Test func keysCompareByBytesNotByCanonicalEquivalence() {
        let precomposed: StateKey = "caf\u{E9}"
        let decomposed: StateKey = "cafe\u{301}"
        #expect(precomposed != decomposed)
        #expect(Set([precomposed, decomposed]).count == 2)
        #expect((precomposed < decomposed) != (decomposed < precomposed))
    }

    @Test func keysAndVersionsEncodeAsBareJSONValues() throws {
        struct Pointer: Codable, Equatable {
            var key: StateKey
            var version: StateVersion
        }
        let pointer = Pointer(key: "frameworks/batch", version: 7)
        let data = try JSONEncoder().encode(pointer)
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        #expect(object?["key"] as? String == "frameworks/batch")
        #expect(object?["version"] as? Int == 7)
        #expect(try JSONDecoder().decode(Pointer.self, from: data) == pointer)

        let bad = Data(#"{"key":"a//b","version":1}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Pointer.self, from: bad) }
    }

    @Test func versionsAndExpectations() {
        #expect(StateVersion.initial == 1)
        #expect(StateVersion(1).next == 2)
        #expect(StateVersion(2) > StateVersion(1))
        #expect(ExpectedVersion.any.isSatisfied(by: nil))
        #expect(ExpectedVersion.any.isSatisfied(by: 4))
        #expect(ExpectedVersion.absent.isSatisfied(by: nil))
        #expect(!ExpectedVersion.absent.isSatisfied(by: 1))
        #expect(ExpectedVersion.exactly(3).isSatisfied(by: 3))
        #expect(!ExpectedVersion.exactly(3).isSatisfied(by: 4))
        #expect(!ExpectedVersion.exactly(3).isSatisfied(by: nil))
    }

    @Test func errorCodesAreDistinctAndNamed() {
        let codes: [ErrorCode<StateStoreError>] = [
            .versionMismatch, .invalidKey, .invalidValue, .valueTooLarge, .corrupted, .io, .unavailable,
        ]
        #expect(Set(codes).count == codes.count)
        #expect(codes.map(\.description) == [
            "versionMismatch", "invalidKey", "invalidValue", "valueTooLarge", "corrupted", "io", "unavailable",
        ])
        let error = StateStoreError(code: .io, key: "a", message: "disk on fire")
        #expect(error.description == "io: disk on fire")
    }

    @Test func defaultValueLimitFitsZooKeepersDefaultBuffer() {
        let memory = InMemoryStateStore.Configuration().maxValueSize
        let file = FileStateStore.Configuration(directory: "/unused").maxValueSize
        #expect(memory == 1_044_480)
        #expect(file == memory)
        // jute.maxbuffer (0xfffff) bounds the whole request: value + path + headers.
        #expect(memory + StateKey.maxLength + 1024 < 0xFFFFF)
    }
}

// MARK: - The contract, against every store

struct StateStoreContractTests {
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

// MARK: - FileStateStore only

struct FileStateStoreTests {
    private func open(_ directory: String) throws -> FileStateStore {
        try FileStateStore(configuration: .init(directory: directory))
    }

    @Test func reopeningSeesEverything() async throws {
        try await StateStoreTestSupport.withTemporaryDirectory { (directory: String) async throws in
            let long = try StateKey(String(repeating: "Segment/", count: 120) + "end")
            var store: FileStateStore? = try open(directory)
            try await store?.put("frameworks/batch", bytes("fw-1"))
            try await store?.put("frameworks/batch", bytes("fw-2"))
            try await store?.put("frameworks/batch/jobs/nightly", bytes("spec"))
            try await store?.put(long, bytes("long"))
            try await store?.put("gone", bytes("x"))
            try await store?.delete("gone")
            store = nil  // releases the lock

            let reopened = try open(directory)
            #expect(try await reopened.list() == [long, "frameworks/batch", "frameworks/batch/jobs/nightly"])
            #expect(
                try await reopened.get("frameworks/batch")
                    == VersionedValue(key: "frameworks/batch", value: bytes("fw-2"), version: 2))
            #expect(try await reopened.get("frameworks/batch/jobs/nightly")?.value == bytes("spec"))
            #expect(try await reopened.get(long)?.value == bytes("long"))
            #expect(try await reopened.get("gone") == nil)
            #expect(try await reopened.put("frameworks/batch", bytes("fw-3"), expecting: .exactly(2)) == 3)
        }
    }

    @Test func aSecondStoreOnTheSameDirectoryIsRefusedUntilTheFirstIsReleased() async throws {
        try await StateStoreTestSupport.withTemporaryDirectory { (directory: String) async throws in
            var first: FileStateStore? = try open(directory)
            try await first?.put("a", bytes("1"))
            let refused = #expect(throws: StateStoreError.self) { try open(directory) }
            #expect(refused?.code == .unavailable)
            #expect(refused?.message.contains("state directory \(directory) is already open by another FileStateStore") == true)
            first = nil
            let second = try open(directory)
            #expect(try await second.get("a")?.value == bytes("1"))
        }
    }

    @Test func leftoverTemporaryFilesAreRemovedOnOpen() async throws {
        try await StateStoreTestSupport.withTemporaryDirectory { (directory: String) async throws in
            do {
                let store = try open(directory)
                try await store.put("kept", bytes("value"))
            }
            // What a crash between creating and renaming a temporary file leaves behind.
            let leftovers = [".tmp.0123456789abcdef", ".tmp.2a"]
            for name in leftovers {
                #expect(FileManager.default.createFile(atPath: directory + "/" + name, contents: Data("torn".utf8)))
            }
            #expect(try StateStoreTestSupport.entries(directory) == [".lock"] + leftovers + ["kept"])

            let store = try open(directory)
            #expect(try StateStoreTestSupport.entries(directory) == [".lock", "kept"])
            #expect(try await store.list() == ["kept"])
            #expect(try await store.get("kept")?.value == bytes("value"))
        }
    }

    @Test(arguments: [
        ("a flipped value byte", 28 + 3 + 2, "checksum mismatch"),
        ("a flipped version byte", 8, "checksum mismatch"),
        ("a flipped magic byte", 0, "it does not start with the magic 'RSSF'"),
    ])
    func aCorruptedFileIsReportedNamingTheFile(what: String, offset: Int, problem: String) async throws {
        try await StateStoreTestSupport.withTemporaryDirectory { (directory: String) async throws in
            let store = try open(directory)
            try await store.put("a/b", bytes("precious"))
            let file = directory + "/" + FileStateStore.fileName(for: "a/b")
            var contents = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
            #expect(contents.count == 28 + 3 + 8)
            contents[offset] ^= 0x01
            try Data(contents).write(to: URL(fileURLWithPath: file))

            let error = await #expect(throws: StateStoreError.self, "\(what)") { try await store.get("a/b") }
            #expect(error?.code == .corrupted)
            #expect(error?.key == "a/b")
            let message = try #require(error?.message)
            #expect(message.hasPrefix("get a/b: state file \(file) is corrupted ("), "\(message)")
            #expect(message.contains(problem), "\(message)")
            #expect(message.hasSuffix("restore it from a backup, or delete the key (expecting any version) to discard it"))

            // Nothing overwrites it silently, and it stays listed.
            let put = await #expect(throws: StateStoreError.self) { try await store.put("a/b", bytes("new")) }
            #expect(put?.code == .corrupted)
            let guarded = await #expect(throws: StateStoreError.self) {
                try await store.delete("a/b", expecting: .exactly(1))
            }
            #expect(guarded?.code == .corrupted)
            #expect(try await store.list() == ["a/b"])

            // Deleting with `.any` is the way to discard it.
            #expect(try await store.delete("a/b") == true)
            #expect(try await store.put("a/b", bytes("new"), expecting: .absent) == 1)
        }
    }

    @Test func aTruncatedFileIsReportedAsCorrupted() async throws {
        try await StateStoreTestSupport.withTemporaryDirectory { (directory: String) async throws in
            let store = try open(directory)
            try await store.put("spec", [UInt8](repeating: 9, count: 100))
            let file = directory + "/spec"
            #expect(truncate(file, 60) == 0)
            let error = await #expect(throws: StateStoreError.self) { try await store.get("spec") }
            #expect(error?.code == .corrupted)
            #expect(error?.message.contains("\(file) is corrupted (the header promises 132 bytes but the file has 60)") == true)

            #expect(truncate(file, 5) == 0)
            let short = await #expect(throws: StateStoreError.self) { try await store.get("spec") }
            #expect(short?.message.contains("5 bytes, shorter than the 28-byte header") == true)
        }
    }

    @Test func aFileHoldingAnotherKeyIsReportedAsCorrupted() async throws {
        try await StateStoreTestSupport.withTemporaryDirectory { (directory: String) async throws in
            let store = try open(directory)
            try await store.put("a", bytes("for a"))
            #expect(rename(directory + "/a", directory + "/b") == 0)
            let error = await #expect(throws: StateStoreError.self) { try await store.get("b") }
            #expect(error?.code == .corrupted)
            #expect(error?.message.contains("\(directory)/b is corrupted (it holds key a, not b)") == true)
            #expect(try await store.get("a") == nil)
        }
    }

    @Test func aForeignFileMakesListFailNamingIt() async throws {
        try await StateStoreTestSupport.withTemporaryDirectory { (directory: String) async throws in
            let store = try open(directory)
            try await store.put("a", bytes("1"))
            #expect(FileManager.default.createFile(atPath: directory + "/README.TXT", contents: Data()))
            let error = await #expect(throws: StateStoreError.self) { try await store.list() }
            #expect(error?.code == .corrupted)
            #expect(
                error?.message
                    == "\(directory)/README.TXT is not a state file name (it does not decode to a key); move it out of \(directory), which the store must have to itself"
            )
            // Dot files are the store's own namespace and are ignored.
            #expect(remove(directory + "/README.TXT") == 0)
            #expect(FileManager.default.createFile(atPath: directory + "/.DS_Store", contents: Data()))
            #expect(try await store.list() == ["a"])
        }
    }

    @Test func fileNamesAreFlatPortableAndShort() throws {
        #expect(FileStateStore.fileName(for: "frameworks/batch/jobs/nightly") == "frameworks%2Fbatch%2Fjobs%2Fnightly")
        #expect(FileStateStore.fileName(for: "a") == "a")
        #expect(FileStateStore.fileName(for: "a/b") == "a%2Fb")
        #expect(FileStateStore.fileName(for: "ab") == "ab")
        #expect(FileStateStore.fileName(for: "Job") == "%4Aob")
        #expect(FileStateStore.fileName(for: ".env/x.y") == "%2Eenv%2Fx.y")
        #expect(FileStateStore.fileName(for: "100%/~") == "100%25%2F%7E")
        #expect(FileStateStore.fileName(for: "caf\u{E9}") == "caf%C3%A9")

        let long = try StateKey(String(repeating: "abc/", count: 100) + "end")
        let name = FileStateStore.fileName(for: long)
        #expect(name.utf8.count <= 255)
        #expect(name.contains("~"))
        #expect(name.hasPrefix("abc%2Fabc%2F"))
        let sibling = try StateKey(String(repeating: "abc/", count: 100) + "enD")
        #expect(FileStateStore.fileName(for: sibling) != name)
    }

    @Test func newFilesAreOwnerOnly() async throws {
        try await StateStoreTestSupport.withTemporaryDirectory { (directory: String) async throws in
            let store = try open(directory + "/new")
            try await store.put("secret", bytes("token"))
            let directoryMode = try FileManager.default.attributesOfItem(atPath: directory + "/new")[.posixPermissions] as? Int
            let fileMode = try FileManager.default.attributesOfItem(atPath: directory + "/new/secret")[.posixPermissions] as? Int
            #expect(directoryMode.map { $0 & 0o077 } == 0)
            #expect(fileMode == 0o600)
        }
    }
}
