import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Where Debian's `zookeeper` package puts the server, and how to run it.
public enum ZooKeeperInstallation {
    /// The server's jar; its manifest's `Class-Path` names the jars it needs.
    public static let jar = "/usr/share/java/zookeeper.jar"
    /// A logging binding, so the server's warnings reach its log file (absent: the server is silent).
    static let loggingJar = "/usr/share/java/slf4j-simple.jar"

    /// The `java` executable: `$JAVA_HOME/bin/java`, else `/usr/bin/java`.
    public static var java: String {
        if let home = ProcessInfo.processInfo.environment["JAVA_HOME"], FileManager.default.isExecutableFile(atPath: home + "/bin/java") {
            return home + "/bin/java"
        }
        return "/usr/bin/java"
    }

    /// The class path of the server.
    public static var classPath: String {
        FileManager.default.fileExists(atPath: loggingJar) ? "\(jar):\(loggingJar)" : jar
    }

    /// Checks that the server and Java are installed.
    /// - Throws: ``ZooKeeperTestingError`` saying how to install them.
    public static func check() throws {
        guard FileManager.default.fileExists(atPath: jar) else {
            throw ZooKeeperTestingError("\(jar) is missing: install ZooKeeper with `apt-get install zookeeper` (or run scripts/install-zookeeper, which scripts/test runs)")
        }
        guard FileManager.default.isExecutableFile(atPath: java) else {
            throw ZooKeeperTestingError("\(java) is missing: install Java 17 with `apt-get install default-jre-headless` (the zookeeper package pulls it in)")
        }
    }
}

/// A failure to start, reach or stop a test server, saying which and why.
public struct ZooKeeperTestingError: Error, CustomStringConvertible {
    /// What went wrong.
    public var description: String
    /// An error with its description.
    public init(_ description: String) { self.description = description }
}

/// A child process (the JVM of a server) whose exit can be awaited.
final class ChildProcess: Sendable {
    private let process: Process
    private final class Exit: Sendable {
        let state = Mutex<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
    }

    private let exit = Exit()

    init(executable: String, arguments: [String], logFile: String) throws {
        _ = FileManager.default.createFile(atPath: logFile, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logFile))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        self.process = process
        process.terminationHandler = { [exit] _ in
            let waiters = exit.state.withLock { state in
                state.done = true
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume() }
        }
        try process.run()
        try? log.close()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { !exit.state.withLock { $0.done } }

    func signal(_ signal: Int32) {
        if isRunning { kill(process.processIdentifier, signal) }
    }

    /// Waits until the process exits, for at most `timeout`; whether it did.
    func waitForExit(timeout: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let done = self.exit.state.withLock { state in
                        if !state.done { state.waiters.append(continuation) }
                        return state.done
                    }
                    if done { continuation.resume() }
                }
                return true
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next()!
            if !first {
                // Release the waiter: kill and wait for the exit that must now come.
                signal(SIGKILL)
            }
            group.cancelAll()
            _ = await group.next()
            return first
        }
    }

    /// SIGTERM, then SIGKILL after `grace`; returns once the process has exited.
    func stop(grace: Duration = .seconds(5)) async {
        signal(SIGTERM)
        if await waitForExit(timeout: grace) { return }
        signal(SIGKILL)
        _ = await waitForExit(timeout: .seconds(30))
    }
}

/// Free TCP ports on 127.0.0.1: each is bound to port 0 (the kernel picks), all held open
/// until every one is chosen, so no two are the same, then released for the server to bind.
func freePorts(_ count: Int) throws -> [Int] {
    var sockets: [Int32] = []
    defer { for socket in sockets { close(socket) } }
    var ports: [Int] = []
    for _ in 0..<count {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ZooKeeperTestingError("socket() failed: errno \(errno)") }
        sockets.append(fd)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw ZooKeeperTestingError("bind(127.0.0.1:0) failed: errno \(errno)") }
        ports.append(Int(UInt16(bigEndian: address.sin_port)))
    }
    return ports
}

/// Sends a four-letter word (`srvr`, `wchc`, `cons`, …) to a server on 127.0.0.1 and returns its answer.
/// - Throws: ``ZooKeeperTestingError`` when the server cannot be reached.
public func fourLetterWord(_ word: String, port: Int, timeout: Duration = .seconds(2)) throws -> String {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw ZooKeeperTestingError("socket() failed: errno \(errno)") }
    defer { close(fd) }
    var time = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
    guard connected else { throw ZooKeeperTestingError("cannot connect to 127.0.0.1:\(port): errno \(errno)") }
    let bytes = Array(word.utf8)
    guard send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else {
        throw ZooKeeperTestingError("cannot send \(word) to 127.0.0.1:\(port): errno \(errno)")
    }
    var answer: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = recv(fd, &chunk, chunk.count, 0)
        if count <= 0 { break }
        answer += chunk[0..<count]
    }
    return String(decoding: answer, as: UTF8.self)
}
