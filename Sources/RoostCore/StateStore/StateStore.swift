import FoundationEssentials

// MARK: - The protocol

/// Durable, versioned key-value storage for what must survive a restart: framework IDs,
/// job and service specs, cron schedule state.
///
/// The master and frameworks call a store from any task; every conformance is `Sendable`
/// and serialises operations on the same key, so a compare-and-set (`expecting:`) is exact.
/// Operations run to completion once started (they are short and are not cancelled).
///
/// The contract is the one ZooKeeper can honour, so an in-memory store in tests, a
/// ``FileStateStore`` on one machine and a ZooKeeper-backed store behave alike:
/// - keys are ``StateKey`` paths restricted to what a znode path accepts;
/// - every key has its own ``StateVersion``: 1 on create, +1 per put, and 1 again after a
///   delete and re-create (ZooKeeper's `dataVersion` + 1);
/// - values are at most about 1 MiB (ZooKeeper's default `jute.maxbuffer`);
/// - there are no multi-key transactions: one key changes atomically, nothing more.
///
/// Every requirement throws only ``StateStoreError``; see ``ErrorCode`` for the cases.
public protocol StateStore: Sendable {
    /// Reads the value stored at `key` with its version, or `nil` when the key is absent.
    ///
    /// - Throws: ``StateStoreError`` with code `.corrupted` when what is
    ///   stored cannot be read back intact, `.io` or
    ///   `.unavailable` when the backing storage fails.
    func get(_ key: StateKey) async throws(StateStoreError) -> VersionedValue<[UInt8]>?

    /// Stores `value` at `key` if the key's current version satisfies `expected`, and
    /// returns the key's new version.
    ///
    /// The write is atomic: a later ``get(_:)`` (also after a crash) sees the old value or
    /// the new one, never a mix.
    /// - Throws: ``StateStoreError`` with code `.versionMismatch` when
    ///   `expected` does not hold (nothing changes), `.valueTooLarge`
    ///   when `value` exceeds the store's limit (nothing changes),
    ///   `.corrupted` when the stored value cannot be read to check the
    ///   version, `.io` or `.unavailable`.
    @discardableResult
    func put(_ key: StateKey, _ value: [UInt8], expecting expected: ExpectedVersion) async throws(StateStoreError)
        -> StateVersion

    /// Removes `key` if its current version satisfies `expected`; returns whether a value was removed.
    ///
    /// With ``ExpectedVersion/any`` an absent key is not an error: the result is `false`.
    /// With ``ExpectedVersion/absent`` the result is `false` when the key is absent.
    /// - Throws: ``StateStoreError`` with code `.versionMismatch` when
    ///   `expected` does not hold (nothing changes), `.io` or
    ///   `.unavailable`.
    @discardableResult
    func delete(_ key: StateKey, expecting expected: ExpectedVersion) async throws(StateStoreError) -> Bool

    /// Lists the stored keys equal to or below `prefix` (all keys when `nil`), sorted.
    ///
    /// A prefix matches whole segments: prefix `a` lists `a` and `a/b`, never `ab`. The
    /// order is ``StateKey``'s: a key comes right before the keys below it.
    /// - Throws: ``StateStoreError`` with code `.corrupted` when the
    ///   store holds an entry it cannot map back to a key, `.io` or
    ///   `.unavailable`.
    func list(prefix: StateKey?) async throws(StateStoreError) -> [StateKey]
}

extension StateStore {
    /// Stores `value` at `key` whatever its current version; returns the new version.
    ///
    /// Same as ``StateStore/put(_:_:expecting:)`` with ``ExpectedVersion/any``.
    /// - Throws: ``StateStoreError`` as ``StateStore/put(_:_:expecting:)`` does.
    @discardableResult
    public func put(_ key: StateKey, _ value: [UInt8]) async throws(StateStoreError) -> StateVersion {
        try await put(key, value, expecting: .any)
    }

    /// Removes `key` whatever its version; returns `false` when it was absent.
    ///
    /// Same as ``StateStore/delete(_:expecting:)`` with ``ExpectedVersion/any``.
    /// - Throws: ``StateStoreError`` as ``StateStore/delete(_:expecting:)`` does.
    @discardableResult
    public func delete(_ key: StateKey) async throws(StateStoreError) -> Bool {
        try await delete(key, expecting: .any)
    }

    /// Lists every stored key, sorted.
    ///
    /// Same as ``StateStore/list(prefix:)`` with `nil`.
    /// - Throws: ``StateStoreError`` as ``StateStore/list(prefix:)`` does.
    public func list() async throws(StateStoreError) -> [StateKey] {
        try await list(prefix: nil)
    }

    /// Reads the JSON value at `key` decoded as `type`, with its version; `nil` when absent.
    ///
    /// Use the version for a read-modify-write: change the value and call
    /// ``putJSON(_:_:expecting:)`` with `.exactly(version)`, retrying on
    /// `.versionMismatch`.
    /// - Throws: ``StateStoreError`` with code `.corrupted` naming the
    ///   key when the stored bytes do not decode as `type`; otherwise as ``StateStore/get(_:)``.
    public func getJSON<Value: Decodable>(_ key: StateKey, as type: Value.Type = Value.self)
        async throws(StateStoreError) -> VersionedValue<Value>?
    {
        guard let stored = try await get(key) else { return nil }
        do {
            let value = try JSONDecoder().decode(Value.self, from: Data(stored.value))
            return VersionedValue(key: key, value: value, version: stored.version)
        } catch {
            throw StateStoreError(
                code: .corrupted, key: key.path,
                message: "\(key) (version \(stored.version)) does not decode as \(Value.self): \(error); "
                    + "delete it or put a value of that type")
        }
    }

    /// Stores `value` encoded as JSON (keys sorted, so equal values store equal bytes) at `key`
    /// if its version satisfies `expected`; returns the new version.
    ///
    /// - Throws: ``StateStoreError`` with code `.invalidValue` when
    ///   `value` cannot be encoded (for example a non-finite `Double`); otherwise as
    ///   ``StateStore/put(_:_:expecting:)``.
    @discardableResult
    public func putJSON<Value: Encodable>(_ key: StateKey, _ value: Value, expecting expected: ExpectedVersion = .any)
        async throws(StateStoreError) -> StateVersion
    {
        let bytes: [UInt8]
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            bytes = [UInt8](try encoder.encode(value))
        } catch {
            throw StateStoreError(
                code: .invalidValue, key: key.path,
                message: "put \(key): \(Value.self) cannot be encoded as JSON: \(error); fix the value")
        }
        return try await put(key, bytes, expecting: expected)
    }
}

// MARK: - Keys

/// The path of a value in a ``StateStore``, such as `frameworks/batch/jobs/nightly`.
///
/// A key is one or more `/`-separated segments. Each segment is non-empty, is not `.` or
/// `..`, and holds no control characters; the whole key is at most ``maxLength`` UTF-8
/// bytes. Characters a ZooKeeper path rejects are rejected too (U+E000–U+F8FF,
/// U+FFF0–U+FFFF and anything above U+FFFF, such as emoji), so every key works in every store.
///
/// Keys compare by their UTF-8 bytes, as ZooKeeper paths and file names do: `é` written
/// precomposed and decomposed are two different keys. They sort segment by segment, so a
/// key comes right before the keys below it (`a`, `a/b`, `a-b`). A key encodes in JSON as
/// its path string.
public struct StateKey: Hashable, Comparable, Sendable, Codable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    /// The longest key, in UTF-8 bytes: 1024.
    public static let maxLength = 1024

    /// The key's `/`-separated path.
    public let path: String

    /// Creates a key from untrusted text.
    ///
    /// With a string literal argument, `StateKey("…")` is Swift's literal syntax and uses
    /// ``init(stringLiteral:)``, which traps on an invalid key; pass untrusted text in a variable.
    /// - Throws: ``StateStoreError`` with code `.invalidKey` naming
    ///   the text and what is wrong with it.
    public init(_ path: String) throws(StateStoreError) {
        try StateKey.check(path)
        self.path = path
    }

    /// A key from a literal; an invalid literal is a programming error and traps.
    public init(stringLiteral value: String) {
        do { try self.init(value) } catch { preconditionFailure("invalid StateKey literal: \(error)") }
    }

    /// The key's segments, in order; never empty.
    public var segments: [String] {
        path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    }

    /// The last segment (`nightly` for `frameworks/batch/jobs/nightly`).
    public var lastSegment: String {
        if let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) {
            return String(path[path.utf8.index(after: slash)...])
        }
        return path
    }

    /// The key one segment up, or `nil` for a one-segment key.
    public var parent: StateKey? {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return nil }
        return StateKey(unchecked: String(path[..<slash]))
    }

    /// This key with `segment` added below it (`frameworks` + `batch` = `frameworks/batch`).
    ///
    /// - Throws: ``StateStoreError`` with code `.invalidKey` when
    ///   `segment` is not a valid segment (empty, `.`, `..`, contains `/` or a control
    ///   character) or the result would exceed ``maxLength``.
    public func appending(_ segment: String) throws(StateStoreError) -> StateKey {
        if segment.utf8.contains(UInt8(ascii: "/")) {
            throw StateStoreError(
                code: .invalidKey, key: path,
                message: "cannot append segment \(StateKey.quoted(segment)) to \(path): a segment may not contain '/'; "
                    + "append one segment at a time")
        }
        return try StateKey(path + "/" + segment)
    }

    /// Whether `prefix` is this key or a key above it, comparing whole segments.
    ///
    /// `a/b` has prefix `a` and `a/b`; it does not have prefix `a/` (not a key) or `a/bc`,
    /// and `ab` does not have prefix `a`.
    public func hasPrefix(_ prefix: StateKey) -> Bool {
        let mine = path.utf8, theirs = prefix.path.utf8
        guard mine.starts(with: theirs) else { return false }
        if mine.count == theirs.count { return true }
        return mine[mine.index(mine.startIndex, offsetBy: theirs.count)] == UInt8(ascii: "/")
    }

    /// The key's path.
    public var description: String { path }

    /// Whether two keys have the same UTF-8 bytes.
    public static func == (lhs: StateKey, rhs: StateKey) -> Bool {
        lhs.path.utf8.elementsEqual(rhs.path.utf8)
    }

    /// Hashes the key's UTF-8 bytes, consistently with ``==(_:_:)``.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(path.utf8.count)
        for byte in path.utf8 { hasher.combine(byte) }
    }

    /// Orders keys segment by segment by UTF-8 bytes, so a key sorts right before the keys below it.
    public static func < (lhs: StateKey, rhs: StateKey) -> Bool {
        // '/' ranks below every byte a segment may hold (control characters are excluded),
        // so plain byte order with '/' mapped to 0 is segment order.
        func rank(_ byte: UInt8) -> UInt8 { byte == UInt8(ascii: "/") ? 0 : byte }
        var left = lhs.path.utf8.makeIterator(), right = rhs.path.utf8.makeIterator()
        while true {
            switch (left.next(), right.next()) {
            case (nil, nil): return false
            case (nil, _): return true
            case (_, nil): return false
            case let (l?, r?):
                if l != r { return rank(l) < rank(r) }
            }
        }
    }

    /// Decodes a key from its path string.
    ///
    /// - Throws: `DecodingError.dataCorrupted` with the ``StateStoreError`` message when the path is invalid.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do { try self.init(text) } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.message)
        }
    }

    /// Encodes the key as its path string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(path)
    }

    init(unchecked path: String) { self.path = path }

    private static let example = "frameworks/batch/jobs/nightly"

    private static func check(_ path: String) throws(StateStoreError) {
        func invalid(_ problem: String) -> StateStoreError {
            StateStoreError(
                code: .invalidKey, key: path,
                message: "invalid state key \(quoted(path)): \(problem); "
                    + "a key is '/'-separated non-empty segments such as '\(example)'")
        }
        if path.isEmpty { throw invalid("it is empty") }
        let length = path.utf8.count
        if length > maxLength { throw invalid("it is \(length) bytes and the limit is \(maxLength)") }
        for scalar in path.unicodeScalars {
            let v = scalar.value
            if v < 0x20 || (0x7F...0x9F).contains(v) {
                throw invalid("it contains the control character U+\(hex(v))")
            }
            if (0xE000...0xF8FF).contains(v) || v >= 0xFFF0 {
                throw invalid("it contains U+\(hex(v)), which ZooKeeper paths do not allow (private-use, specials or above U+FFFF)")
            }
        }
        for (index, segment) in path.split(separator: "/", omittingEmptySubsequences: false).enumerated() {
            if segment.isEmpty {
                throw invalid("segment \(index + 1) is empty (no leading, trailing or doubled '/')")
            }
            if segment == "." || segment == ".." {
                throw invalid("segment \(index + 1) is '\(segment)', which names a directory")
            }
        }
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// `text` quoted with escapes, shortened when long, for error messages.
    static func quoted(_ text: String) -> String {
        let shown = text.unicodeScalars.count > 80 ? String(String.UnicodeScalarView(text.unicodeScalars.prefix(80))) + "…" : text
        return String(reflecting: shown)
    }
}

// MARK: - Versions

/// The version of the value at one key: 1 when the key is created, +1 on every put.
///
/// Versions are per key, not global. A key that is deleted and created again starts again
/// at 1, as a ZooKeeper znode's `dataVersion` does (a ZooKeeper-backed store reports
/// `dataVersion + 1`), so a version tells apart the writes to one incarnation of a key,
/// not across a delete. Encodes in JSON as a bare number.
public struct StateVersion: Hashable, Comparable, Sendable, Codable, ExpressibleByIntegerLiteral,
    CustomStringConvertible
{
    /// The version number; 1 for a newly created key.
    public let value: Int64

    /// The version of a newly created key.
    public static let initial = StateVersion(1)

    /// Wraps a version number (a store assigns versions; callers only pass back ones they read).
    public init(_ value: Int64) { self.value = value }

    /// A version from an integer literal, as in `.exactly(3)`.
    public init(integerLiteral value: Int64) { self.value = value }

    /// The version after one more put.
    public var next: StateVersion { StateVersion(value + 1) }

    /// The version number as text.
    public var description: String { String(value) }

    /// Orders versions by number.
    public static func < (lhs: StateVersion, rhs: StateVersion) -> Bool { lhs.value < rhs.value }

    /// Decodes a version from a bare number.
    ///
    /// - Throws: `DecodingError` when the value is not a 64-bit integer.
    public init(from decoder: any Decoder) throws {
        value = try decoder.singleValueContainer().decode(Int64.self)
    }

    /// Encodes the version as a bare number.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}

/// The condition a ``StateStore`` write checks against the key's current version (compare-and-set).
public enum ExpectedVersion: Hashable, Sendable, CustomStringConvertible {
    /// Write whatever the current version, including when the key is absent.
    case any
    /// Write only if the key is absent (create).
    case absent
    /// Write only if the key exists at exactly this version.
    case exactly(StateVersion)

    /// Whether a key whose current version is `current` (`nil` when absent) satisfies this expectation.
    public func isSatisfied(by current: StateVersion?) -> Bool {
        switch self {
        case .any: return true
        case .absent: return current == nil
        case .exactly(let version): return current == version
        }
    }

    /// `any version`, `the key to be absent` or `version N`, for messages.
    public var description: String {
        switch self {
        case .any: return "any version"
        case .absent: return "the key to be absent"
        case .exactly(let version): return "version \(version)"
        }
    }
}

/// A value read from a ``StateStore`` with the key and the version it was stored at.
///
/// ``StateStore/get(_:)`` returns the raw bytes (`VersionedValue<[UInt8]>`);
/// ``StateStore/getJSON(_:as:)`` returns the decoded value.
public struct VersionedValue<Value> {
    /// The key the value is stored at.
    public var key: StateKey
    /// The stored value.
    public var value: Value
    /// The version the value was stored at; pass it back in ``ExpectedVersion/exactly(_:)`` to update it.
    public var version: StateVersion

    /// Creates a versioned value (stores create these; tests may too).
    public init(key: StateKey, value: Value, version: StateVersion) {
        self.key = key
        self.value = value
        self.version = version
    }
}

extension VersionedValue: Sendable where Value: Sendable {}
extension VersionedValue: Equatable where Value: Equatable {}
extension VersionedValue: Hashable where Value: Hashable {}

// MARK: - Errors

/// A ``StateStore`` operation that failed: a version mismatch, a bad key or value, or
/// storage that is corrupted or unreachable.
///
/// The ``message`` names the key and the fix, e.g. `put frameworks/x expected version 3
/// but found version 4; re-read and retry`. Compare ``code`` to react; two errors are
/// equal when code, key and message are.
public struct StateStoreError: CodedError, Hashable, Sendable {
    /// What kind of failure this is; an extensible set of values (compare with `==`).
    public var code: ErrorCode<StateStoreError>
    /// The key the operation was about, as text; for `.invalidKey` the rejected text.
    public var key: String
    /// What went wrong, naming the key (and file, for a file store) and the fix.
    public var message: String

    /// Creates an error; store implementations call this with a message that names the key and the fix.
    public init(code: ErrorCode<StateStoreError>, key: String, message: String) {
        self.code = code
        self.key = key
        self.message = message
    }

    /// The error every store throws when `expected` does not hold: `put k expected version 3
    /// but found version 4; re-read and retry`. For store implementations, so all word it alike.
    public static func versionMismatch(
        _ operation: String, _ key: StateKey, expected: ExpectedVersion, found: StateVersion?
    ) -> StateStoreError {
        let foundText = found.map { "found version \($0)" } ?? "the key is absent"
        return StateStoreError(
            code: .versionMismatch, key: key.path,
            message: "\(operation) \(key) expected \(expected) but \(foundText); re-read and retry")
    }

    /// The error every store throws for a value over its limit, naming the size, the limit and the fix.
    public static func valueTooLarge(_ key: StateKey, size: Int, limit: Int) -> StateStoreError {
        StateStoreError(
            code: .valueTooLarge, key: key.path,
            message: "put \(key): the value is \(size) bytes and the limit is \(limit) (maxValueSize); "
                + "store large data elsewhere and keep a reference here")
    }
}

/// Limits shared by the stores in this module.
@usableFromInline
enum StateStoreLimits {
    /// ZooKeeper's default `jute.maxbuffer` (0xfffff bytes) bounds a whole request, which
    /// carries the path and headers besides the value; 1 MiB - 4 KiB leaves room for a
    /// 1024-byte key under a chroot, so a value accepted here is accepted by a default ZooKeeper.
    @usableFromInline static let defaultMaxValueSize = 1024 * 1024 - 4096
}

extension ErrorCode where Domain == StateStoreError {
    /// The key's current version did not satisfy the ``ExpectedVersion``; nothing changed.
    /// Re-read the key and retry.
    public static var versionMismatch: Self { Self("versionMismatch") }
    /// The text is not a valid ``StateKey``.
    public static var invalidKey: Self { Self("invalidKey") }
    /// The value could not be encoded for storage (``StateStore/putJSON(_:_:expecting:)``); nothing changed.
    public static var invalidValue: Self { Self("invalidValue") }
    /// The value is larger than the store accepts; nothing changed.
    public static var valueTooLarge: Self { Self("valueTooLarge") }
    /// What is stored cannot be read back intact (checksum mismatch, truncated file,
    /// undecodable JSON). The store never drops it silently.
    public static var corrupted: Self { Self("corrupted") }
    /// The backing storage failed (a system call, a disk).
    public static var io: Self { Self("io") }
    /// The store cannot be used now (already open elsewhere, closed, no connection).
    public static var unavailable: Self { Self("unavailable") }
}
