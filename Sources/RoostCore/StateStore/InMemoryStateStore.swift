import Synchronization

/// A ``StateStore`` that keeps everything in memory, for tests and single-process demos.
///
/// It honours the same contract as ``FileStateStore`` and a ZooKeeper-backed store,
/// including the value size limit, so a test against it catches what the real store would
/// reject. Contents are lost when the instance is released.
///
/// Thread-safe: any task or thread may call it; a `Mutex` serialises operations, so
/// compare-and-set is exact. Its methods are synchronous (they never suspend) and satisfy
/// the protocol's `async` requirements.
public final class InMemoryStateStore: StateStore {
    /// Limits of an ``InMemoryStateStore``.
    public struct Configuration: Sendable, Hashable {
        /// The largest value ``InMemoryStateStore/put(_:_:expecting:)`` accepts, in bytes.
        ///
        /// Default: 1 MiB - 4 KiB (1,044,480 bytes), the largest value that always fits in a
        /// request to a ZooKeeper with its default `jute.maxbuffer` (0xfffff bytes for the
        /// whole request), so tests catch values ZooKeeper would reject.
        public var maxValueSize: Int

        /// Creates a configuration; see each property for its default.
        public init(maxValueSize: Int = StateStoreLimits.defaultMaxValueSize) {
            self.maxValueSize = maxValueSize
        }
    }

    private struct Entry {
        var value: [UInt8]
        var version: StateVersion
    }

    /// The limits this store enforces.
    public let configuration: Configuration
    private let entries = Mutex<[StateKey: Entry]>([:])

    /// Creates an empty store.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Reads the value at `key`, or `nil` when absent.
    ///
    /// Never throws; the signature is the protocol's.
    public func get(_ key: StateKey) throws(StateStoreError) -> VersionedValue<[UInt8]>? {
        entries.withLock { entries in
            entries[key].map { VersionedValue(key: key, value: $0.value, version: $0.version) }
        }
    }

    /// Stores `value` at `key` if `expected` holds; returns the new version.
    ///
    /// - Throws: ``StateStoreError`` with code `.valueTooLarge` or
    ///   `.versionMismatch`; nothing changes when it throws.
    @discardableResult
    public func put(_ key: StateKey, _ value: [UInt8], expecting expected: ExpectedVersion)
        throws(StateStoreError) -> StateVersion
    {
        if value.count > configuration.maxValueSize {
            throw .valueTooLarge(key, size: value.count, limit: configuration.maxValueSize)
        }
        return try entries.withLock { entries throws(StateStoreError) -> StateVersion in
            let current = entries[key]?.version
            guard expected.isSatisfied(by: current) else {
                throw .versionMismatch("put", key, expected: expected, found: current)
            }
            let version = current?.next ?? .initial
            entries[key] = Entry(value: value, version: version)
            return version
        }
    }

    /// Removes `key` if `expected` holds; returns whether a value was removed.
    ///
    /// - Throws: ``StateStoreError`` with code `.versionMismatch`;
    ///   nothing changes when it throws.
    @discardableResult
    public func delete(_ key: StateKey, expecting expected: ExpectedVersion) throws(StateStoreError) -> Bool {
        try entries.withLock { entries throws(StateStoreError) -> Bool in
            let current = entries[key]?.version
            guard expected.isSatisfied(by: current) else {
                throw .versionMismatch("delete", key, expected: expected, found: current)
            }
            return entries.removeValue(forKey: key) != nil
        }
    }

    /// Lists the keys equal to or below `prefix` (all when `nil`), sorted.
    ///
    /// Never throws; the signature is the protocol's.
    public func list(prefix: StateKey?) throws(StateStoreError) -> [StateKey] {
        let keys = entries.withLock { entries in
            entries.keys.filter { key in prefix.map { key.hasPrefix($0) } ?? true }
        }
        return keys.sorted()
    }
}
