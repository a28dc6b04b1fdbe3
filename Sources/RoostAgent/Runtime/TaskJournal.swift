import FoundationEssentials
import Logging
import RoostCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The agent's task records as one append-only file, `.tasks.journal` in the checkpoint
/// directory, instead of one file per task.
///
/// A put or a delete of a task's record is one record appended to the file; a batch of them
/// is one `write`. Creating, renaming and removing a file per task cost the agent more than
/// its share of a short task; an append costs a fraction of one of them.
///
/// **Records.** Each is a 12-byte little-endian header (payload length `u32`, FNV-1a 64 of the
/// payload `u64`) and the payload: an operation byte (1 put, 2 delete), the key's length
/// (`u16`) and UTF-8 path (`tasks/<framework>/<task>`), and for a put the value (JSON of
/// ``AgentCheckpoint/TaskRecord``). The last record of a key wins.
///
/// **Crash safety**, the same as the per-task files it replaces (written without `fsync`):
/// what a `write` handed to the kernel survives the agent process dying. A record cut short
/// by the process dying mid-`write` can only be the file's last; reading stops there, so
/// the key keeps its previous value (old or new, never a mix), and the tail is cut off
/// before anything is appended. A record that fails its checksum with more data after it is
/// corruption: the file is kept as `.tasks.journal.corrupted` for inspection, the records
/// before it are used, and the error is logged.
///
/// **Compaction.** When the file is more than twice the size of the live records (and over
/// 256 KiB), the live records are written to `.tasks.journal.new`, which is renamed over the
/// journal, so a crash leaves the old journal or the new one.
///
/// The file lives in the ``FileStateStore`` directory of the agent (a name starting with `.`,
/// which the store leaves alone), so the store's lock keeps a second agent out of it too.
/// A value type owned by one task at a time: the agent's recovery, then the checkpoint
/// writer's worker.
struct TaskJournal: Sendable {
    static let fileName = ".tasks.journal"
    static let compactedName = ".tasks.journal.new"
    static let corruptedName = ".tasks.journal.corrupted"
    /// Compaction starts only above this size.
    static let compactionThreshold = 256 * 1024

    enum Operation: UInt8 {
        case put = 1
        case delete = 2
    }

    private let directory: String
    private var fd: Int32
    /// Each live key's whole framed put record, as it is in the file.
    private var live: [String: [UInt8]] = [:]
    private var liveBytes = 0
    private var fileBytes = 0

    /// Opens (creating if missing) the journal in `directory` and reads it.
    ///
    /// - Returns: the journal, ready to append, and the live records' values (JSON) by key.
    /// - Throws: ``StateStoreError`` `.io` naming the file when it cannot be opened, read or
    ///   repaired.
    static func open(directory: String, logger: Logger) throws(StateStoreError) -> (TaskJournal, [String: [UInt8]]) {
        let path = directory + "/" + fileName
        unlink(directory + "/" + compactedName)  // an interrupted compaction; the journal is intact
        let fd = openFile(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ioError("open", path, errno) }
        var journal = TaskJournal(directory: directory, fd: fd)
        let bytes: [UInt8]
        do {
            bytes = try readAll(fd, path: path)
        } catch {
            closeFile(fd)
            throw error
        }
        var offset = 0
        var values: [String: [UInt8]] = [:]
        while offset < bytes.count {
            guard let (operation, key, value, length) = decode(bytes, at: offset) else { break }
            let record = Array(bytes[offset..<(offset + length)])
            switch operation {
            case .put:
                journal.liveBytes += record.count - (journal.live.updateValue(record, forKey: key)?.count ?? 0)
                values[key] = value
            case .delete:
                journal.liveBytes -= journal.live.removeValue(forKey: key)?.count ?? 0
                values[key] = nil
            }
            offset += length
        }
        journal.fileBytes = offset
        if offset < bytes.count {
            let rest = bytes[offset...]
            // A torn tail (the process died mid-write, or zeros a power loss left) is expected;
            // anything else is damage worth keeping.
            let isTornTail = !isCompleteRecord(bytes, at: offset) || rest.allSatisfy { $0 == 0 }
            if !isTornTail {
                logger.error(
                    "the agent's task journal is damaged at byte \(offset) of \(bytes.count); using the records before it and keeping the file as \(corruptedName)",
                    metadata: ["file": "\(path)"])
                let copy = openFile(directory + "/" + corruptedName, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
                if copy >= 0 {
                    _ = try? writeAll(copy, bytes, path: directory + "/" + corruptedName)
                    closeFile(copy)
                }
            }
            guard ftruncate(fd, off_t(offset)) == 0 else {
                let code = errno
                closeFile(fd)
                throw ioError("cut the torn end off", path, code)
            }
        }
        return (journal, values)
    }

    private init(directory: String, fd: Int32) {
        self.directory = directory
        self.fd = fd
    }

    /// Appends a batch of writes with one `write`; a delete of a key with no live record (its
    /// put never reached the journal) writes nothing. Compacts afterwards when due.
    ///
    /// - Throws: ``StateStoreError`` `.io` when the file cannot be written; the writes that
    ///   did not reach it are lost (the journal stays readable).
    mutating func append(_ writes: [(key: String, value: [UInt8]?)]) throws(StateStoreError) {
        var buffer: [UInt8] = []
        var applied: [(key: String, record: [UInt8]?)] = []
        for (key, value) in writes {
            if let value {
                let record = Self.encode(.put, key: key, value: value)
                buffer += record
                applied.append((key, record))
            } else if live[key] != nil {
                buffer += Self.encode(.delete, key: key, value: [])
                applied.append((key, nil))
            }
        }
        guard !buffer.isEmpty else { return }
        do {
            try Self.writeAll(fd, buffer, path: path)
        } catch {
            // Cut off whatever part of the batch got in, so later records stay readable.
            _ = ftruncate(fd, off_t(fileBytes))
            throw error
        }
        fileBytes += buffer.count
        for (key, record) in applied {
            if let record {
                liveBytes += record.count - (live.updateValue(record, forKey: key)?.count ?? 0)
            } else {
                liveBytes -= live.removeValue(forKey: key)?.count ?? 0
            }
        }
        if fileBytes > Self.compactionThreshold && fileBytes > 2 * liveBytes {
            try compact()
        }
    }

    /// Rewrites the journal with only the live records.
    private mutating func compact() throws(StateStoreError) {
        let newPath = directory + "/" + Self.compactedName
        let newFD = openFile(newPath, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o600)
        guard newFD >= 0 else { throw Self.ioError("create", newPath, errno) }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(liveBytes)
        for record in live.values { buffer += record }
        do {
            try Self.writeAll(newFD, buffer, path: newPath)
        } catch {
            closeFile(newFD)
            unlink(newPath)
            throw error
        }
        guard rename(newPath, path) == 0 else {
            let code = errno
            closeFile(newFD)
            unlink(newPath)
            throw Self.ioError("rename \(newPath) to", path, code)
        }
        closeFile(fd)
        fd = newFD
        fileBytes = buffer.count
    }

    /// Closes the file.
    func close() {
        closeFile(fd)
    }

    private var path: String { directory + "/" + Self.fileName }

    // MARK: Format

    static func encode(_ operation: Operation, key: String, value: [UInt8]) -> [UInt8] {
        let keyBytes = Array(key.utf8)
        var payload: [UInt8] = []
        payload.reserveCapacity(3 + keyBytes.count + value.count)
        payload.append(operation.rawValue)
        payload.append(UInt8(keyBytes.count & 0xff))
        payload.append(UInt8(keyBytes.count >> 8))
        payload += keyBytes
        payload += value
        var record: [UInt8] = []
        record.reserveCapacity(12 + payload.count)
        appendLittleEndian(UInt32(payload.count), to: &record)
        appendLittleEndian(fnv1a(payload[...]), to: &record)
        record += payload
        return record
    }

    /// The record at `offset` when it is whole and its checksum holds.
    static func decode(_ bytes: [UInt8], at offset: Int) -> (Operation, String, [UInt8], Int)? {
        guard isCompleteRecord(bytes, at: offset) else { return nil }
        let length = Int(readLittleEndian(bytes, at: offset, as: UInt32.self))
        let payload = bytes[(offset + 12)..<(offset + 12 + length)]
        guard readLittleEndian(bytes, at: offset + 4, as: UInt64.self) == fnv1a(payload), payload.count >= 3,
            let operation = Operation(rawValue: payload[payload.startIndex])
        else { return nil }
        let keyLength = Int(payload[payload.startIndex + 1]) | Int(payload[payload.startIndex + 2]) << 8
        let keyStart = payload.startIndex + 3
        guard keyStart + keyLength <= payload.endIndex else { return nil }
        let key = String(decoding: payload[keyStart..<(keyStart + keyLength)], as: UTF8.self)
        return (operation, key, Array(payload[(keyStart + keyLength)...]), 12 + length)
    }

    /// Whether the header at `offset` and the payload it announces are all in `bytes`.
    private static func isCompleteRecord(_ bytes: [UInt8], at offset: Int) -> Bool {
        guard bytes.count - offset >= 12 else { return false }
        return bytes.count - offset - 12 >= Int(readLittleEndian(bytes, at: offset, as: UInt32.self))
    }

    private static func fnv1a(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return hash
    }

    private static func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private static func readLittleEndian<T: FixedWidthInteger>(_ bytes: [UInt8], at offset: Int, as: T.Type) -> T {
        var value: T = 0
        for index in 0..<MemoryLayout<T>.size { value |= T(bytes[offset + index]) << (8 * index) }
        return value
    }

    // MARK: I/O

    private static func readAll(_ fd: Int32, path: String) throws(StateStoreError) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(bytes.count)) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ioError("read", path, errno)
            }
            if count == 0 { return bytes }
            bytes += chunk[..<count]
        }
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(StateStoreError) {
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ioError("write", path, errno)
            }
            written += count
        }
    }

    private static func ioError(_ operation: String, _ path: String, _ code: Int32) -> StateStoreError {
        StateStoreError(
            code: .io, key: "",
            message: "cannot \(operation) the agent's task journal \(path): \(String(cString: strerror(code))); check the checkpoint directory's permissions and free space")
    }
}

private func openFile(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { open(path, flags, mode) }
private func closeFile(_ fd: Int32) { close(fd) }
