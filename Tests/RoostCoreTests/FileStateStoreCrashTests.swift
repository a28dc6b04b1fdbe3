import Foundation
import RoostCore
import Testing

#if os(Linux)
import Glibc

/// Kills a process in the middle of writing to a FileStateStore and checks that what it
/// committed survives intact.
///
/// The child is `StateStoreCrashWriter <directory> <key>` (Tests/StateStoreCrashWriter),
/// built beside the test binary. It puts 256 KiB self-checking values in a loop and prints
/// each committed version. The test watches the store directory with inotify, so it can
/// SIGKILL the child at a chosen step of a put (no sleeps): while the temporary file is
/// being written, after it is closed, right after the rename, or between puts. Every
/// rename of the key's file it sees is one committed version, so after the kill the stored
/// version must equal the number of renames, whatever the child managed to print.
///
/// Linux only (inotify, `/proc/self/exe`). Serialized: each case runs one writer flat out.
@Suite(.serialized)
struct FileStateStoreCrashTests {
    static let key: StateKey = "frameworks/crash/state"
    static let payloadSize = 256 * 1024
    static let timeout: Duration = .seconds(30)

    /// The step of a put at which the child is killed.
    enum KillPoint: String, Sendable, CustomTestStringConvertible {
        /// Right after reading a committed version from the child's stdout.
        case betweenPuts
        /// When the temporary file appears (the child is writing or syncing it).
        case whileWritingTemporaryFile
        /// When the temporary file is closed (the rename comes next).
        case afterTemporaryFileClosed
        /// When the key's file is renamed into place (the directory sync and the print come next).
        case afterRename

        var testDescription: String { rawValue }
    }

    @Test(arguments: [
        (KillPoint.betweenPuts, 1),
        (.whileWritingTemporaryFile, 2),
        (.afterTemporaryFileClosed, 4),
        (.afterRename, 7),
        (.whileWritingTemporaryFile, 12),
    ])
    func killedWriterLeavesTheLastCommittedValueIntact(killPoint: KillPoint, versionsBeforeKill: Int) async throws {
        let writer = try Self.writerPath()
        try await StateStoreTestSupport.withTemporaryDirectory { (temporary: String) async throws in
            let directory = temporary + "/store"
            let stderrPath = temporary + "/writer.stderr"
            let keyFile = FileStateStore.fileName(for: Self.key)
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
            let events = try DirectoryEvents(watching: directory)
            let child = try ChildProcess(executable: writer, arguments: [directory, Self.key.path], stderrPath: stderrPath)
            defer { child.killAndReap() }

            var output = LineReader(fd: child.stdoutFD)
            var reported: [Int64] = []
            var renames = 0
            var overflowed = false
            func count(_ batch: [DirectoryEvents.Event]) {
                for event in batch {
                    if event.isOverflow { overflowed = true }
                    if event.isMovedTo && event.name == keyFile { renames += 1 }
                }
            }

            // Run the child until the chosen step, then kill it.
            let deadline = ContinuousClock.now.advanced(by: Self.timeout)
            var killNow = false
            while !killNow {
                guard let ready = try waitForInput([events.fd, child.stdoutFD], until: deadline) else {
                    Issue.record(
                        """
                        StateStoreCrashWriter did not reach \(killPoint) after \(versionsBeforeKill) versions within \
                        \(Self.timeout) (it reported \(reported.count)); its stderr: \(Self.contents(of: stderrPath))
                        """)
                    return
                }
                if ready.contains(events.fd) {
                    let batch = try events.read()
                    count(batch)
                    if reported.count >= versionsBeforeKill {
                        killNow = batch.contains { event in
                            switch killPoint {
                            case .betweenPuts: return false
                            case .whileWritingTemporaryFile: return event.isCreate && event.name.hasPrefix(".tmp.")
                            case .afterTemporaryFileClosed: return event.isCloseWrite && event.name.hasPrefix(".tmp.")
                            case .afterRename: return event.isMovedTo && event.name == keyFile
                            }
                        }
                    }
                }
                if !killNow && ready.contains(child.stdoutFD) {
                    guard let lines = try output.readAvailableLines() else {
                        let status = child.killAndReap()
                        Issue.record(
                            """
                            StateStoreCrashWriter exited by itself (wait status \(status)) after reporting \
                            \(reported.count) versions; its stderr: \(Self.contents(of: stderrPath))
                            """)
                        return
                    }
                    reported += try lines.map { line in try #require(Int64(line), "not a version: \(line)") }
                    killNow = killPoint == .betweenPuts && reported.count >= versionsBeforeKill
                }
            }
            let status = child.killAndReap()
            #expect(status & 0x7F == SIGKILL, "the writer died of SIGKILL, not by itself (wait status \(status))")

            // What the child did before it died: versions printed but not read yet, renames not seen yet.
            while let lines = try output.readAvailableLines() {
                reported += try lines.map { line in try #require(Int64(line), "not a version: \(line)") }
            }
            count(try events.read())
            #expect(!overflowed, "the inotify queue overflowed; the rename count is incomplete")
            #expect(reported == (0..<reported.count).map { Int64($0 + 1) }, "versions are reported in order from 1")
            #expect(reported.count >= versionsBeforeKill)
            #expect(renames >= versionsBeforeKill)
            let lastReported = reported.last ?? 0

            // Reopen: the torn temporary file (if any) is gone; the last renamed value is intact.
            let store = try FileStateStore(configuration: .init(directory: directory))
            #expect(
                try StateStoreTestSupport.entries(directory) == [".lock", keyFile],
                "a temporary file left by the kill was removed on open")
            let stored = try #require(try await store.get(Self.key), "the key was committed \(renames) times")
            #expect(stored.version == StateVersion(Int64(renames)), "the stored version is the last one renamed into place")
            #expect(stored.version >= StateVersion(lastReported), "version \(lastReported) was reported committed")
            #expect(stored.version.value <= lastReported + 1, "at most the put in flight was committed unreported")
            #expect(stored.value.count == Self.payloadSize)
            let counter = Self.word(stored.value, 0)
            #expect(counter == UInt64(stored.version.value), "value number \(counter) is stored at version \(stored.version)")
            let firstBad = (1..<(stored.value.count / 8)).first {
                Self.word(stored.value, $0) != Self.payloadWord(counter: counter, index: $0)
            }
            #expect(firstBad == nil, "value \(counter) is torn at word \(firstBad ?? -1)")
        }
    }

    // MARK: The writer's value rule (a copy of Tests/StateStoreCrashWriter/main.swift)

    static func payloadWord(counter: UInt64, index: Int) -> UInt64 {
        (counter &* 0x9E37_79B9_7F4A_7C15) ^ (UInt64(index) &* 0xBF58_476D_1CE4_E5B9)
    }

    static func word(_ bytes: [UInt8], _ index: Int) -> UInt64 {
        (0..<8).reduce(0) { $0 | UInt64(bytes[index * 8 + $1]) << (8 * $1) }
    }

    // MARK: Helpers

    /// `StateStoreCrashWriter` in the build products directory this test binary runs from
    /// (`swift test` on Linux runs `<products>/<Package>PackageTests.xctest`, an executable).
    static func writerPath() throws -> String {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        try #require(executable.path != "/proc/self/exe", "cannot resolve /proc/self/exe to find the build products")
        let path = executable.deletingLastPathComponent().appendingPathComponent("StateStoreCrashWriter").path
        try #require(
            FileManager.default.isExecutableFile(atPath: path),
            "StateStoreCrashWriter is not at \(path); `swift build` / `swift test` build it (target StateStoreCrashWriter)")
        return path
    }

    static func contents(of path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)).map { $0.isEmpty ? "(empty)" : $0 } ?? "(unreadable)"
    }
}

// MARK: - Processes, pipes and inotify for the crash test

struct CrashTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Waits until one of `fds` is readable; returns the readable ones, or `nil` at `deadline`.
func waitForInput(_ fds: [Int32], until deadline: ContinuousClock.Instant) throws -> Set<Int32>? {
    var descriptors = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
    while true {
        let remaining = ContinuousClock.now.duration(to: deadline)
        if remaining <= .zero { return nil }
        let (seconds, attoseconds) = remaining.components
        let milliseconds = Int32(min(seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1, 1000))
        let ready = poll(&descriptors, nfds_t(descriptors.count), milliseconds)
        if ready < 0 {
            if errno == EINTR { continue }
            throw CrashTestError("poll failed: errno \(errno)")
        }
        if ready > 0 {
            return Set(descriptors.filter { $0.revents != 0 }.map(\.fd))
        }
    }
}

/// A child process started with `posix_spawn`, its stdout on a socket, its stderr in a file.
///
/// Started with an empty signal mask and default dispositions, so SIGPIPE ends it when the
/// test's end of the socket closes. ``killAndReap()`` is idempotent; `deinit` calls it too,
/// so no child outlives its test.
final class ChildProcess {
    let pid: pid_t
    let stdoutFD: Int32
    private var status: Int32?

    init(executable: String, arguments: [String], stderrPath: String) throws {
        // A socket pair rather than a pipe: it can be created close-on-exec atomically (Glibc's
        // module has no pipe2), so no process another test spawns meanwhile inherits the
        // write end and delays end-of-file.
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw CrashTestError("socketpair failed: errno \(errno)")
        }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        defer { close(writeEnd) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, STDOUT_FILENO)
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGTERM, SIGINT] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) }
        let environment = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") }
        defer { (argv + environment).forEach { free($0) } }
        var pid = pid_t()
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv + [nil], environment + [nil])
        guard result == 0 else {
            close(readEnd)
            throw CrashTestError("posix_spawn \(executable) failed: errno \(result)")
        }
        self.pid = pid
        self.stdoutFD = readEnd
    }

    /// Sends SIGKILL (once) and waits for the child; returns its wait status.
    @discardableResult
    func killAndReap() -> Int32 {
        if let status { return status }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        self.status = status
        return status
    }

    deinit {
        killAndReap()
        close(stdoutFD)
    }
}

/// Newline-terminated lines from a pipe or socket.
struct LineReader {
    let fd: Int32
    private var pending: [UInt8] = []

    init(fd: Int32) { self.fd = fd }

    /// Reads once (blocking until data or end of file) and returns the complete lines so
    /// far (possibly none); `nil` at end of file.
    mutating func readAvailableLines() throws -> [String]? {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fd, &chunk, chunk.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw CrashTestError("read failed: errno \(errno)")
            }
            if count == 0 { return nil }
            pending += chunk[..<count]
            guard let lastNewline = pending.lastIndex(of: UInt8(ascii: "\n")) else { return [] }
            let lines = pending[..<lastNewline].split(separator: UInt8(ascii: "\n")).map {
                String(decoding: $0, as: UTF8.self)
            }
            pending.removeSubrange(...lastNewline)
            return lines
        }
    }
}

/// inotify events (create, close-after-write, moved-in) for the entries of one directory.
final class DirectoryEvents {
    struct Event {
        var mask: UInt32
        var name: String
        var isCreate: Bool { mask & UInt32(IN_CREATE) != 0 }
        var isCloseWrite: Bool { mask & UInt32(IN_CLOSE_WRITE) != 0 }
        var isMovedTo: Bool { mask & UInt32(IN_MOVED_TO) != 0 }
        var isOverflow: Bool { mask & UInt32(IN_Q_OVERFLOW) != 0 }
    }

    let fd: Int32

    init(watching directory: String) throws {
        fd = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        guard fd >= 0 else { throw CrashTestError("inotify_init1 failed: errno \(errno)") }
        guard inotify_add_watch(fd, directory, UInt32(IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO)) >= 0 else {
            let code = errno
            close(fd)
            throw CrashTestError("inotify_add_watch \(directory) failed: errno \(code)")
        }
    }

    /// The events queued now (none when the queue is empty; never blocks).
    func read() throws -> [Event] {
        var events: [Event] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = Glibc.read(fd, &buffer, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN { return events }
                throw CrashTestError("reading inotify events failed: errno \(errno)")
            }
            var offset = 0
            let header = MemoryLayout<inotify_event>.size
            while offset + header <= count {
                let mask = buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self) }
                let length = Int(buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self) })
                let nameBytes = buffer[(offset + header)..<(offset + header + length)].prefix { $0 != 0 }
                events.append(Event(mask: mask, name: String(decoding: nameBytes, as: UTF8.self)))
                offset += header + length
            }
        }
    }

    deinit { close(fd) }
}
#endif
