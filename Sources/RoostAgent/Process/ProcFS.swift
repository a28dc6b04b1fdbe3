#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Reads what the agent needs from Linux's `/proc`: a process's state, group, session and
/// start time, and the members of a process group.
///
/// Every function is a few short system calls; none blocks on anything but the kernel.
enum ProcFS {
    /// The fields of `/proc/<pid>/stat` the agent uses.
    struct Stat: Hashable, Sendable {
        /// Field 1.
        var pid: Int32
        /// Field 3: `R`, `S`, `D`, `Z` (zombie), `T`, `X` (dead), …
        var state: UInt8
        /// Field 4.
        var parentPID: Int32
        /// Field 5.
        var processGroupID: Int32
        /// Field 6.
        var sessionID: Int32
        /// Field 22: clock ticks after boot when the process started.
        var startTime: UInt64

        /// Whether the process has exited (a zombie waiting to be reaped, or dead).
        var hasExited: Bool { state == UInt8(ascii: "Z") || state == UInt8(ascii: "X") }
    }

    /// `/proc/<pid>/stat`, or `nil` when there is no such process (or it cannot be parsed).
    static func stat(of pid: Int32) -> Stat? {
        guard pid > 0, let bytes = readFile("/proc/\(pid)/stat") else { return nil }
        return parseStat(bytes)
    }

    /// Parses a `stat` line. The command name (field 2) is in parentheses and may contain
    /// spaces and parentheses itself, so the fields are counted from the last `)`.
    static func parseStat(_ bytes: [UInt8]) -> Stat? {
        guard let open = bytes.firstIndex(of: UInt8(ascii: "(")),
            let close = bytes.lastIndex(of: UInt8(ascii: ")")),
            open < close
        else { return nil }
        guard let pid = Int32(String(decoding: bytes[..<open], as: UTF8.self).trimmingSpaces) else { return nil }
        let rest = bytes[(close + 1)...].split(separator: UInt8(ascii: " "), omittingEmptySubsequences: true)
        // rest[0] is field 3 (state), so field n is rest[n - 3]; start time is field 22.
        guard rest.count >= 20, rest[0].count == 1 else { return nil }
        func field(_ n: Int) -> Substring { Substring(decoding: rest[n - 3], as: UTF8.self) }
        guard let parent = Int32(field(4)), let group = Int32(field(5)), let session = Int32(field(6)),
            let start = UInt64(field(22))
        else { return nil }
        return Stat(pid: pid, state: rest[0].first!, parentPID: parent, processGroupID: group, sessionID: session, startTime: start)
    }

    /// This boot's ID (`/proc/sys/kernel/random/boot_id`), which changes on every reboot.
    static func bootID() -> String? { currentBootID }

    /// Read once: a process lives within one boot.
    private static let currentBootID: String? = {
        guard let bytes = readFile("/proc/sys/kernel/random/boot_id") else { return nil }
        let text = String(decoding: bytes, as: UTF8.self).trimmingSpaces
        return text.isEmpty ? nil : text
    }()

    /// Every process whose process group is `processGroupID` (zombies included).
    static func members(ofGroup processGroupID: Int32) -> [Stat] {
        allPIDs().compactMap { pid in
            guard let stat = stat(of: pid), stat.processGroupID == processGroupID else { return nil }
            return stat
        }
    }

    /// `kill(2)`, for places where a method named `kill` shadows it.
    static func signal(_ pid: Int32, _ signal: Int32) -> Int32 { kill(pid, signal) }

    /// The PIDs listed in `/proc`.
    static func allPIDs() -> [Int32] {
        guard let directory = opendir("/proc") else { return [] }
        defer { closedir(directory) }
        var pids: [Int32] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: entry.pointee.d_name)) {
                    String(cString: $0)
                }
            }
            if let pid = Int32(name), pid > 0 { pids.append(pid) }
        }
        return pids
    }

    /// The whole content of a small file, or `nil` when it cannot be opened or read.
    static func readFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { return result }
            result.append(contentsOf: buffer[..<count])
        }
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and newlines.
    var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
