public import RoostCore
public import ZooKeeperNIO

/// A ``RoostCore/StateStore`` in ZooKeeper, for master and framework state shared by several
/// masters (Mesos' registry in ZooKeeper).
///
/// Every key is one znode directly under ``Configuration-swift.struct/rootPath``, named by the
/// key with `%` and `/` percent-encoded (`frameworks/batch` is `frameworks%2Fbatch`), so a
/// key and the keys below it are independent values, as the contract requires. The store's
/// versions are the znodes' `dataVersion + 1`: a create is version 1, every put adds one, a
/// delete and re-create starts again at 1. Compare-and-set is ZooKeeper's own: a put with
/// `.exactly(v)` is `setData(version: v - 1)`, `.absent` is a create, a delete with
/// `.exactly(v)` is `delete(version: v - 1)`; a stale write fails on the server and changes nothing.
///
/// Values are capped at ``Configuration-swift.struct/maxValueSize`` (1 MiB − 4 KiB by default,
/// as the other stores), which keeps every request under ZooKeeper's default `jute.maxbuffer`;
/// larger values are refused with `.valueTooLarge`, not split.
///
/// The store uses a client the caller owns (and closes); it may share it with an elector's
/// ``MasterDetector`` or anything else. Connection loss and session expiry surface as
/// `.unavailable` naming the key; a put or delete that fails with a lost connection may or may
/// not have been applied: re-read before retrying.
public final class ZooKeeperStateStore: StateStore {
    /// The store's settings.
    public struct Configuration: Sendable, Hashable {
        /// The znode every key lives under (created on the first write), such as `/roost/state`.
        public var rootPath: String
        /// The largest value a put accepts, in bytes. Default 1 MiB − 4 KiB (1,044,480), the
        /// same as ``RoostCore/InMemoryStateStore`` and ``RoostCore/FileStateStore``: with a
        /// 1024-byte key percent-encoded and the root path, the request stays under ZooKeeper's
        /// default `jute.maxbuffer` (0xfffff bytes).
        public var maxValueSize: Int

        /// Creates a configuration; see each property for its default.
        public init(rootPath: String, maxValueSize: Int = 1024 * 1024 - 4096) {
            self.rootPath = rootPath
            self.maxValueSize = maxValueSize
        }
    }

    /// The settings this store was made with.
    public let configuration: Configuration
    /// The client the store talks through.
    public let client: ZooKeeperClient

    /// Creates a store over `client`.
    /// - Throws: ``RoostCore/StateStoreError`` with `.invalidKey` when the root path is not an
    ///   absolute ZooKeeper path such as `/roost/state`.
    public init(client: ZooKeeperClient, configuration: Configuration) throws(StateStoreError) {
        let root = configuration.rootPath
        guard root.hasPrefix("/"), root.count > 1, !root.hasSuffix("/"), !root.contains("//") else {
            throw StateStoreError(
                code: .invalidKey, key: root,
                message: "rootPath \(String(reflecting: root)) is not an absolute ZooKeeper path such as /roost/state")
        }
        self.client = client
        self.configuration = configuration
    }

    /// The znode name of `key`: the key with `%` and `/` percent-encoded.
    public static func nodeName(for key: StateKey) -> String {
        var name = ""
        name.reserveCapacity(key.path.utf8.count)
        for character in key.path {
            switch character {
            case "%": name += "%25"
            case "/": name += "%2F"
            default: name.append(character)
            }
        }
        return name
    }

    /// The key a znode name stands for, or `nil` when the name is not one this store makes.
    static func key(forNodeName name: String) -> StateKey? {
        var path = ""
        var rest = Substring(name)
        while let percent = rest.firstIndex(of: "%") {
            path += rest[..<percent]
            let code = rest[percent...].prefix(3)
            switch code {
            case "%25": path += "%"
            case "%2F": path += "/"
            default: return nil
            }
            rest = rest[percent...].dropFirst(3)
        }
        path += rest
        guard let key = try? StateKey(path), nodeName(for: key) == name else { return nil }
        return key
    }

    private func nodePath(_ key: StateKey) -> String { configuration.rootPath + "/" + Self.nodeName(for: key) }

    private static func version(_ stat: Stat) -> StateVersion { StateVersion(Int64(stat.version) + 1) }

    /// The current version of `key`, for error messages; `nil` when absent or unreadable.
    private func currentVersion(_ key: StateKey) async -> StateVersion? {
        (try? await client.exists(nodePath(key))).flatMap { $0.map(Self.version) }
    }

    private func unavailable(_ operation: String, _ key: StateKey?, _ error: any Error) -> StateStoreError {
        let what = key.map { "\(operation) \($0)" } ?? operation
        var message = "\(what): ZooKeeper failed: \(error)"
        if let error = error as? ZooKeeperError, error.code == .connectionLoss, operation != "get", operation != "list" {
            message += "; the write may or may not have been applied, so re-read before retrying"
        } else {
            message += "; check that ZooKeeper is reachable and the session alive, then retry"
        }
        return StateStoreError(code: .unavailable, key: key?.path ?? configuration.rootPath, message: message)
    }

    /// Reads `key`'s znode; `nil` when it does not exist.
    /// - Throws: ``RoostCore/StateStoreError`` with `.unavailable` when ZooKeeper fails.
    public func get(_ key: StateKey) async throws(StateStoreError) -> VersionedValue<[UInt8]>? {
        do {
            let node = try await client.getData(nodePath(key))
            return VersionedValue(key: key, value: node.data, version: Self.version(node.stat))
        } catch let error as ZooKeeperError where error.code == .noNode {
            return nil
        } catch {
            throw unavailable("get", key, error)
        }
    }

    /// Writes `key`'s znode if `expected` holds (checked by ZooKeeper itself); returns the new version.
    /// - Throws: ``RoostCore/StateStoreError`` with `.versionMismatch` (nothing changed),
    ///   `.valueTooLarge` (nothing changed) or `.unavailable`.
    @discardableResult
    public func put(_ key: StateKey, _ value: [UInt8], expecting expected: ExpectedVersion) async throws(StateStoreError) -> StateVersion {
        if value.count > configuration.maxValueSize {
            throw .valueTooLarge(key, size: value.count, limit: configuration.maxValueSize)
        }
        let path = nodePath(key)
        do {
            while true {
                switch expected {
                case .absent:
                    if let created = try await create(path, value) { return created }
                    throw StateStoreError.versionMismatch("put", key, expected: expected, found: await currentVersion(key))
                case .exactly(let version):
                    guard let dataVersion = Int32(exactly: version.value - 1) else {
                        throw StateStoreError.versionMismatch("put", key, expected: expected, found: await currentVersion(key))
                    }
                    do {
                        return Self.version(try await client.setData(path, data: value, version: dataVersion))
                    } catch let error as ZooKeeperError where error.code == .badVersion || error.code == .noNode {
                        throw StateStoreError.versionMismatch("put", key, expected: expected, found: await currentVersion(key))
                    }
                case .any:
                    do {
                        return Self.version(try await client.setData(path, data: value))
                    } catch let error as ZooKeeperError where error.code == .noNode {
                        if let created = try await create(path, value) { return created }
                        continue  // created by someone else in between: overwrite it
                    }
                }
            }
        } catch let error as StateStoreError {
            throw error
        } catch {
            throw unavailable("put", key, error)
        }
    }

    /// Creates the znode (and the root if missing); `nil` when it exists already.
    private func create(_ path: String, _ value: [UInt8]) async throws -> StateVersion? {
        while true {
            do {
                return Self.version(try await client.create2(path, data: value).stat)
            } catch let error as ZooKeeperError where error.code == .nodeExists {
                return nil
            } catch let error as ZooKeeperError where error.code == .noNode {
                try await ElectionNodes.ensurePath(configuration.rootPath, client: client)
            }
        }
    }

    /// Deletes `key`'s znode if `expected` holds; returns whether a value was removed.
    /// - Throws: ``RoostCore/StateStoreError`` with `.versionMismatch` (nothing changed) or `.unavailable`.
    @discardableResult
    public func delete(_ key: StateKey, expecting expected: ExpectedVersion) async throws(StateStoreError) -> Bool {
        let path = nodePath(key)
        do {
            switch expected {
            case .absent:
                guard try await client.exists(path) == nil else {
                    throw StateStoreError.versionMismatch("delete", key, expected: expected, found: await currentVersion(key))
                }
                return false
            case .any:
                do {
                    try await client.delete(path)
                    return true
                } catch let error as ZooKeeperError where error.code == .noNode {
                    return false
                }
            case .exactly(let version):
                guard let dataVersion = Int32(exactly: version.value - 1) else {
                    throw StateStoreError.versionMismatch("delete", key, expected: expected, found: await currentVersion(key))
                }
                do {
                    try await client.delete(path, version: dataVersion)
                    return true
                } catch let error as ZooKeeperError where error.code == .badVersion || error.code == .noNode {
                    throw StateStoreError.versionMismatch("delete", key, expected: expected, found: await currentVersion(key))
                }
            }
        } catch let error as StateStoreError {
            throw error
        } catch {
            throw unavailable("delete", key, error)
        }
    }

    /// Lists the keys equal to or below `prefix` (all when `nil`), sorted.
    /// - Throws: ``RoostCore/StateStoreError`` with `.corrupted` naming a znode under the root
    ///   that is not a key of this store, or `.unavailable`.
    public func list(prefix: StateKey?) async throws(StateStoreError) -> [StateKey] {
        let root = configuration.rootPath
        let children: [String]
        do {
            children = try await client.getChildren(root).children
        } catch let error as ZooKeeperError where error.code == .noNode {
            return []
        } catch {
            throw unavailable("list", prefix, error)
        }
        var keys: [StateKey] = []
        for name in children {
            guard let key = Self.key(forNodeName: name) else {
                throw StateStoreError(
                    code: .corrupted, key: root + "/" + name,
                    message: "\(root)/\(name) is not a state key's znode (it does not decode to a key); move it out of \(root), which the store must have to itself")
            }
            if prefix.map({ key.hasPrefix($0) }) ?? true { keys.append(key) }
        }
        return keys.sorted()
    }
}
