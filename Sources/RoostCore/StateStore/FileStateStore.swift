#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A ``StateStore`` that keeps one file per key in a directory of its own, for a master or
/// framework on one machine.
///
/// **Durability.** Every put writes a temporary file in the directory, `fsync`s it, renames
/// it over the key's file and `fsync`s the directory (``Configuration/fsync``), so after a
/// crash or power loss a read sees the old value or the new one, never a mix. Temporary
/// files left by a crash are removed when the store opens. A file that fails its checksum
/// is reported as `.corrupted` naming the file; it is never dropped
/// silently (delete the key with ``ExpectedVersion/any`` to discard it).
///
/// **One owner.** The actor serialises operations, so compare-and-set is exact within the
/// process. Opening takes an exclusive `flock` on `<directory>/.lock`: a second store on the
/// same directory, in this process or another, fails with
/// `.unavailable` until the first is released (the kernel releases the
/// lock when the process dies, so a crash never leaves it stuck). Use a local file system;
/// `flock` is not reliable over NFS.
///
/// **Files.** Names starting with `.` are the store's own (`.lock`, `.tmp.*`). Every other
/// entry must be a key's file, named by ``fileName(for:)``; anything else makes
/// ``list(prefix:)`` fail with `.corrupted`. Each file holds a 28-byte
/// little-endian header (magic `RSSF`, format version 1, flags, key version, key length,
/// value length, CRC-32 of header, key and value), then the key, then the value. New
/// directories and files are created with owner-only permissions.
///
/// Operations make blocking system calls on the actor; they are short (one small file),
/// but a slow disk delays other tasks on the shared pool while `fsync` runs.
public actor FileStateStore: StateStore {
    /// Where a ``FileStateStore`` keeps its files and how it writes them.
    public struct Configuration: Sendable, Hashable {
        /// The directory holding one file per key; created (with parents, mode 0700) if missing.
        ///
        /// Give the store a directory of its own: files it does not recognise make
        /// ``FileStateStore/list(prefix:)`` fail.
        public var directory: String

        /// The largest value ``FileStateStore/put(_:_:expecting:)`` accepts, in bytes.
        ///
        /// Default: 1 MiB - 4 KiB (1,044,480 bytes), the largest value that always fits in a
        /// request to a ZooKeeper with its default `jute.maxbuffer`, so moving to a
        /// ZooKeeper-backed store never starts rejecting values.
        public var maxValueSize: Int

        /// Whether writes `fsync` the file and the directory before returning. Default: `true`.
        ///
        /// Without it a write is still atomic against a process crash (the rename is), but
        /// a power loss or kernel crash may lose or, on some file systems, empty recent writes.
        public var fsync: Bool

        /// Creates a configuration for `directory`; see each property for its default.
        public init(
            directory: String,
            maxValueSize: Int = StateStoreLimits.defaultMaxValueSize,
            fsync: Bool = true
        ) {
            self.directory = directory
            self.maxValueSize = maxValueSize
            self.fsync = fsync
        }
    }

    /// Where and how this store writes.
    public nonisolated let configuration: Configuration
    private nonisolated let directoryFD: Int32
    private nonisolated let lockFD: Int32

    /// Opens (creating if needed) the store in `configuration.directory`, takes its lock and
    /// removes temporary files left by a crash.
    ///
    /// - Throws: ``StateStoreError`` with code `.unavailable` when
    ///   another store holds the directory's lock, `.io` when the
    ///   directory cannot be created, opened or cleaned.
    public init(configuration: Configuration) throws(StateStoreError) {
        let directory = configuration.directory
        if directory.isEmpty {
            throw StateStoreError(
                code: .io, key: "",
                message: "FileStateStore.Configuration.directory is empty; set it to the path of a directory for the store")
        }
        try FileStateStore.createDirectories(directory, sync: configuration.fsync)
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD < 0 {
            throw FileStateStore.openError("open state directory", directory, errno)
        }
        let lockFD = openat(directoryFD, FileStateStore.lockName, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if lockFD < 0 {
            let code = errno
            close(directoryFD)
            throw FileStateStore.openError("create lock file", FileStateStore.join(directory, FileStateStore.lockName), code)
        }
        if flock(lockFD, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            close(lockFD)
            close(directoryFD)
            if code == EWOULDBLOCK {
                throw StateStoreError(
                    code: .unavailable, key: "",
                    message: "state directory \(directory) is already open by another FileStateStore "
                        + "(its lock \(FileStateStore.join(directory, FileStateStore.lockName)) is held, in this process or another); "
                        + "release that store or stop its process, or use a different directory")
            }
            throw FileStateStore.openError("lock", FileStateStore.join(directory, FileStateStore.lockName), code)
        }
        self.configuration = configuration
        self.directoryFD = directoryFD
        self.lockFD = lockFD
        do {
            try FileStateStore.removeTemporaryFiles(directoryFD: directoryFD, configuration: configuration)
        } catch {
            close(lockFD)
            close(directoryFD)
            throw error
        }
    }

    deinit {
        close(lockFD)  // releases the flock
        close(directoryFD)
    }

    // MARK: StateStore

    /// Reads the value at `key`, or `nil` when absent.
    ///
    /// - Throws: ``StateStoreError`` with code `.corrupted` naming the
    ///   file when it fails its checksum or holds another key, `.io`
    ///   when it cannot be read.
    public func get(_ key: StateKey) throws(StateStoreError) -> VersionedValue<[UInt8]>? {
        let name = FileStateStore.fileName(for: key)
        guard let bytes = try readFile(name, operation: "get", key: key) else { return nil }
        let record = try decode(bytes, file: name, operation: "get", key: key)
        return VersionedValue(key: key, value: record.value, version: record.version)
    }

    /// Atomically replaces the value at `key` if `expected` holds; returns the new version.
    ///
    /// - Throws: ``StateStoreError`` with code `.valueTooLarge` or
    ///   `.versionMismatch` (nothing changes),
    ///   `.corrupted` when the current file is corrupted (delete the key
    ///   first to discard it), `.io` when writing fails (the previous
    ///   value stays).
    @discardableResult
    public func put(_ key: StateKey, _ value: [UInt8], expecting expected: ExpectedVersion)
        throws(StateStoreError) -> StateVersion
    {
        let limit = min(configuration.maxValueSize, Int(UInt32.max))
        if value.count > limit {
            throw .valueTooLarge(key, size: value.count, limit: limit)
        }
        let current = try get(key)?.version
        guard expected.isSatisfied(by: current) else {
            throw .versionMismatch("put", key, expected: expected, found: current)
        }
        let version = current?.next ?? .initial
        let bytes = FileStateStore.encode(key: key, version: version, value: value)
        try writeAtomically(bytes, to: FileStateStore.fileName(for: key), key: key)
        return version
    }

    /// Removes `key` if `expected` holds; returns whether a value was removed.
    ///
    /// With ``ExpectedVersion/any`` a corrupted file is removed too (the way to discard it).
    /// - Throws: ``StateStoreError`` with code `.versionMismatch`
    ///   (nothing changes), `.corrupted` when the file is corrupted and
    ///   `expected` is not ``ExpectedVersion/any``, `.io`.
    @discardableResult
    public func delete(_ key: StateKey, expecting expected: ExpectedVersion) throws(StateStoreError) -> Bool {
        let name = FileStateStore.fileName(for: key)
        if expected != .any {
            let current = try get(key)?.version
            guard expected.isSatisfied(by: current) else {
                throw .versionMismatch("delete", key, expected: expected, found: current)
            }
        }
        if unlinkat(directoryFD, name, 0) != 0 {
            let code = errno
            if code == ENOENT { return false }
            throw ioError("delete \(key)", key, "unlink", name, code)
        }
        try syncDirectory(operation: "delete \(key)", key: key)
        return true
    }

    /// Lists the keys equal to or below `prefix` (all when `nil`), sorted.
    ///
    /// - Throws: ``StateStoreError`` with code `.corrupted` naming a
    ///   file in the directory that is not a key's file, `.io` when the
    ///   directory cannot be read.
    public func list(prefix: StateKey?) throws(StateStoreError) -> [StateKey] {
        var keys: [StateKey] = []
        for name in try entryNames() where !name.hasPrefix(".") {
            let key = try keyOfFile(named: name)
            if prefix.map({ key.hasPrefix($0) }) ?? true {
                keys.append(key)
            }
        }
        return keys.sorted()
    }

    // MARK: File names

    /// The name of the file that holds `key` in the store's directory.
    ///
    /// The key's UTF-8 bytes are kept when they are `a`–`z`, `0`–`9`, `-`, `_` or `.` (except a
    /// leading `.`) and percent-encoded otherwise (`/` is `%2F`, `A` is `%41`), so `a` and
    /// `a/b` are two files side by side, and names never collide on case-insensitive or
    /// Unicode-normalising file systems. A name longer than 255 bytes is shortened to its
    /// first 180 bytes, `~` and a 64-bit FNV-1a hash of the key (the key inside the file is
    /// checked on every read).
    public nonisolated static func fileName(for key: StateKey) -> String {
        var pieces: [String] = []
        pieces.reserveCapacity(key.path.utf8.count)
        var length = 0
        for (index, byte) in key.path.utf8.enumerated() {
            let piece: String
            if isLiteral(byte) && !(index == 0 && byte == UInt8(ascii: ".")) {
                piece = String(UnicodeScalar(byte))
            } else {
                piece = "%" + hexByte(byte)
            }
            pieces.append(piece)
            length += piece.utf8.count
        }
        if length <= 255 { return pieces.joined() }
        var prefix = ""
        for piece in pieces {
            if prefix.utf8.count + piece.utf8.count > 180 { break }
            prefix += piece
        }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.path.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        let digits = String(hash, radix: 16)
        return prefix + "~" + String(repeating: "0", count: 16 - digits.count) + digits
    }

    private nonisolated static func isLiteral(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
            return true
        default:
            return false
        }
    }

    private nonisolated static func hexByte(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]], as: UTF8.self)
    }

    /// The key a directory entry holds; `.corrupted` when the name is not a key's file name.
    private func keyOfFile(named name: String) throws(StateStoreError) -> StateKey {
        let notOurs = StateStoreError(
            code: .corrupted, key: "",
            message: "\(path(name)) is not a state file name (it does not decode to a key); "
                + "move it out of \(configuration.directory), which the store must have to itself")
        if name.utf8.contains(UInt8(ascii: "~")) {
            // A shortened name: the key is only in the file.
            guard let bytes = try readFile(name, operation: "list", key: nil) else {
                throw notOurs
            }
            let record = try decode(bytes, file: name, operation: "list", key: nil)
            guard FileStateStore.fileName(for: record.key) == name else { throw notOurs }
            return record.key
        }
        var decoded: [UInt8] = []
        var bytes = name.utf8.makeIterator()
        while let byte = bytes.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = bytes.next().flatMap(hexValue), let low = bytes.next().flatMap(hexValue) else {
                    throw notOurs
                }
                decoded.append(high << 4 | low)
            } else {
                decoded.append(byte)
            }
        }
        guard let text = String(validating: decoded, as: UTF8.self),
            let key = try? StateKey(text),
            FileStateStore.fileName(for: key) == name
        else { throw notOurs }
        return key
    }

    private func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    // MARK: File format

    private static let magic: [UInt8] = Array("RSSF".utf8)
    private static let formatVersion: UInt16 = 1
    private static let headerSize = 28

    private struct Record {
        var key: StateKey
        var version: StateVersion
        var value: [UInt8]
    }

    /// Header (little-endian): magic[4], format version u16, flags u16 (0), key version i64,
    /// key length u32, value length u32, CRC-32 u32 of bytes 0..<24 + key + value; then key, value.
    private static func encode(key: StateKey, version: StateVersion, value: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(headerSize + key.path.utf8.count + value.count)
        bytes += magic
        append(formatVersion, to: &bytes)
        append(UInt16(0), to: &bytes)
        append(UInt64(bitPattern: version.value), to: &bytes)
        append(UInt32(key.path.utf8.count), to: &bytes)
        append(UInt32(value.count), to: &bytes)
        var crc = CRC32()
        crc.update(bytes)
        crc.update(Array(key.path.utf8))
        crc.update(value)
        append(crc.value, to: &bytes)
        bytes += key.path.utf8
        bytes += value
        return bytes
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    private static func readInteger<T: FixedWidthInteger>(_: T.Type, from bytes: [UInt8], at offset: Int) -> T {
        var value = T.zero
        for index in 0..<MemoryLayout<T>.size {
            value |= T(bytes[offset + index]) << (8 * index)
        }
        return value
    }

    /// Parses and checks a file; `key` (when known) must be the key stored in it.
    private func decode(_ bytes: [UInt8], file name: String, operation: String, key: StateKey?)
        throws(StateStoreError) -> Record
    {
        func corrupted(_ problem: String) -> StateStoreError {
            let subject = key.map { "\(operation) \($0)" } ?? operation
            return StateStoreError(
                code: .corrupted, key: key?.path ?? "",
                message: "\(subject): state file \(path(name)) is corrupted (\(problem)); "
                    + "restore it from a backup, or delete the key (expecting any version) to discard it")
        }
        let size = FileStateStore.headerSize
        guard bytes.count >= size else {
            throw corrupted("\(bytes.count) bytes, shorter than the \(size)-byte header")
        }
        guard bytes.prefix(4).elementsEqual(FileStateStore.magic) else {
            throw corrupted("it does not start with the magic 'RSSF'")
        }
        let format = FileStateStore.readInteger(UInt16.self, from: bytes, at: 4)
        guard format == FileStateStore.formatVersion else {
            throw corrupted("format version \(format); this build reads version \(FileStateStore.formatVersion)")
        }
        let version = Int64(bitPattern: FileStateStore.readInteger(UInt64.self, from: bytes, at: 8))
        let keyLength = Int(FileStateStore.readInteger(UInt32.self, from: bytes, at: 16))
        let valueLength = Int(FileStateStore.readInteger(UInt32.self, from: bytes, at: 20))
        let storedCRC = FileStateStore.readInteger(UInt32.self, from: bytes, at: 24)
        guard size + keyLength + valueLength == bytes.count else {
            throw corrupted("the header promises \(size + keyLength + valueLength) bytes but the file has \(bytes.count)")
        }
        var crc = CRC32()
        crc.update(bytes[0..<24])
        crc.update(bytes[size...])
        guard crc.value == storedCRC else {
            throw corrupted("checksum mismatch: stored \(hex32(storedCRC)), computed \(hex32(crc.value))")
        }
        guard version >= 1 else { throw corrupted("version \(version) is below 1") }
        let keyBytes = bytes[size..<(size + keyLength)]
        guard let keyText = String(validating: keyBytes, as: UTF8.self), let storedKey = try? StateKey(keyText) else {
            throw corrupted("the stored key is not a valid key")
        }
        if let key, storedKey != key {
            throw corrupted("it holds key \(storedKey), not \(key)")
        }
        return Record(key: storedKey, version: StateVersion(version), value: Array(bytes[(size + keyLength)...]))
    }

    private func hex32(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }

    // MARK: System calls

    private static let lockName = ".lock"
    private static let temporaryPrefix = ".tmp."

    private func path(_ name: String) -> String {
        FileStateStore.join(configuration.directory, name)
    }

    private nonisolated static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    private func ioError(_ subject: String, _ key: StateKey?, _ call: String, _ name: String, _ code: Int32)
        -> StateStoreError
    {
        StateStoreError(
            code: .io, key: key?.path ?? "",
            message: "\(subject): \(call) \(path(name)) failed: \(FileStateStore.describe(code)); "
                + "check that \(configuration.directory) exists, is writable by this user and its disk has space")
    }

    private static func openError(_ what: String, _ path: String, _ code: Int32) -> StateStoreError {
        StateStoreError(
            code: .io, key: "",
            message: "cannot \(what) \(path): \(describe(code)); "
                + "check FileStateStore.Configuration.directory and its permissions")
    }

    private nonisolated static func describe(_ code: Int32) -> String {
        "\(String(cString: strerror(code))) (errno \(code))"
    }

    /// `mkdir -p` with mode 0700 for the directories it creates; with `sync`, it `fsync`s the
    /// parent of each one it creates so the new directory survives a power loss.
    private static func createDirectories(_ directory: String, sync: Bool) throws(StateStoreError) {
        var parent = directory.hasPrefix("/") ? "/" : "."
        var prefix = directory.hasPrefix("/") ? "/" : ""
        for component in directory.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o700) == 0 {
                if sync {
                    let fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                    let synced = fd >= 0 && fsync(fd) == 0
                    let code = errno
                    if fd >= 0 { close(fd) }
                    if !synced { throw openError("fsync directory", parent, code) }
                }
            } else if errno != EEXIST {
                throw openError("create state directory", prefix, errno)
            }
            parent = prefix
            prefix += "/"
        }
    }

    /// Names in the directory, except `.` and `..`.
    private static func entryNames(directoryFD: Int32, directory: String) throws(StateStoreError) -> [String] {
        let fd = openat(directoryFD, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw openError("read state directory", directory, errno) }
        guard let stream = fdopendir(fd) else {
            let code = errno
            close(fd)
            throw openError("read state directory", directory, code)
        }
        defer { closedir(stream) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                if errno != 0 { throw openError("read state directory", directory, errno) }
                return names
            }
            let name = withUnsafePointer(to: &entry.pointee.d_name) { tuple in
                tuple.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: tuple.pointee)) {
                    String(cString: $0)
                }
            }
            if name != "." && name != ".." { names.append(name) }
        }
    }

    private func entryNames() throws(StateStoreError) -> [String] {
        try FileStateStore.entryNames(directoryFD: directoryFD, directory: configuration.directory)
    }

    private static func removeTemporaryFiles(directoryFD: Int32, configuration: Configuration)
        throws(StateStoreError)
    {
        var removed = false
        for name in try entryNames(directoryFD: directoryFD, directory: configuration.directory)
        where name.hasPrefix(temporaryPrefix) {
            if unlinkat(directoryFD, name, 0) != 0 && errno != ENOENT {
                throw openError("remove leftover temporary file", join(configuration.directory, name), errno)
            }
            removed = true
        }
        if removed && configuration.fsync && fsync(directoryFD) != 0 {
            throw openError("fsync state directory", configuration.directory, errno)
        }
    }

    /// The whole file, or `nil` when it does not exist.
    private func readFile(_ name: String, operation: String, key: StateKey?) throws(StateStoreError) -> [UInt8]? {
        let subject = key.map { "\(operation) \($0)" } ?? operation
        let fd = openat(directoryFD, name, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            if code == ENOENT { return nil }
            throw ioError(subject, key, "open", name, code)
        }
        defer { close(fd) }
        var status = stat()
        if fstat(fd, &status) != 0 { throw ioError(subject, key, "stat", name, errno) }
        let size = Int(status.st_size)
        var bytes = [UInt8](repeating: 0, count: size)
        var offset = 0
        while offset < size {
            let count = bytes.withUnsafeMutableBytes { buffer in
                read(fd, buffer.baseAddress! + offset, size - offset)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw ioError(subject, key, "read", name, errno)
            }
            if count == 0 { break }  // shorter than fstat said; decode reports the length mismatch
            offset += count
        }
        return offset == size ? bytes : Array(bytes[..<offset])
    }

    /// Writes a temporary file, syncs it, renames it over `name` and syncs the directory.
    private func writeAtomically(_ bytes: [UInt8], to name: String, key: StateKey) throws(StateStoreError) {
        let subject = "put \(key)"
        let random = String(UInt64.random(in: .min ... .max), radix: 16)
        let temporary = FileStateStore.temporaryPrefix + random
        let fd = openat(directoryFD, temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 { throw ioError(subject, key, "create", temporary, errno) }
        var committed = false
        var open = true
        defer {
            if open { close(fd) }
            if !committed { unlinkat(directoryFD, temporary, 0) }
        }
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { buffer in
                write(fd, buffer.baseAddress! + offset, bytes.count - offset)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw ioError(subject, key, "write", temporary, errno)
            }
            offset += count
        }
        if configuration.fsync {
            try retryingEINTR(subject, key, "fsync", temporary) { fsync(fd) }
        }
        open = false
        if close(fd) != 0 { throw ioError(subject, key, "close", temporary, errno) }
        if renameat(directoryFD, temporary, directoryFD, name) != 0 {
            throw ioError(subject, key, "rename \(path(temporary)) over", name, errno)
        }
        committed = true
        try syncDirectory(operation: subject, key: key)
    }

    private func syncDirectory(operation: String, key: StateKey) throws(StateStoreError) {
        guard configuration.fsync else { return }
        try retryingEINTR(operation, key, "fsync", ".") { fsync(directoryFD) }
    }

    private func retryingEINTR(
        _ subject: String, _ key: StateKey?, _ call: String, _ name: String, _ body: () -> Int32
    ) throws(StateStoreError) {
        while body() != 0 {
            let code = errno
            if code != EINTR { throw ioError(subject, key, call, name, code) }
        }
    }
}

/// CRC-32 (IEEE 802.3, the polynomial of zlib and PNG).
private struct CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index)
        for _ in 0..<8 {
            crc = crc & 1 == 1 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1
        }
        return crc
    }

    private var state: UInt32 = 0xFFFF_FFFF

    var value: UInt32 { state ^ 0xFFFF_FFFF }

    mutating func update<Bytes: Collection<UInt8>>(_ bytes: Bytes) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            CRC32.table.withUnsafeBufferPointer { table in
                var crc = state
                for byte in buffer {
                    crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
                }
                state = crc
            }
        }
        if done == nil {
            update(Array(bytes))
        }
    }
}
