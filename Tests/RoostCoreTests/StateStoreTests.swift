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
