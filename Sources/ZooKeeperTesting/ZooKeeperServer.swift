import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A real ZooKeeper server (Debian's `zookeeper` package, run by `java`) on 127.0.0.1, in its own
/// temporary directory: standalone from ``start(tickTime:)``, or a member of a ``ZooKeeperEnsemble``.
///
/// Whoever starts a server stops it: ``stop()`` ends the JVM and deletes the directory.
/// ``withServer(tickTime:_:)`` does both around a body. ``stopKeepingData(graceful:)`` and
/// ``restart()`` take the server down and up again with the same port and data, as a crash and
/// a restart would.
public final class ZooKeeperServer: Sendable {
    /// The server's `zoo.cfg`, as a value.
    public let configuration: ServerConfiguration
    /// The temporary directory holding `zoo.cfg`, the data directory and `server.log`.
    public let directory: String
    /// The member's id in its ensemble, `nil` for a standalone server.
    public let memberID: Int?
    /// The JVM's options (heap, collector, system properties).
    public let javaOptions: [String]

    /// The JVM options for tests: a small heap, the serial collector and only the quick JIT, so a
    /// server starts fast and several fit on a small machine.
    public static let testJavaOptions = ["-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"]
    private let process = Mutex<ChildProcess?>(nil)

    /// The port clients connect to.
    public var clientPort: Int { configuration.clientPort }
    /// `127.0.0.1:port`.
    public var connectString: String { "127.0.0.1:\(clientPort)" }
    /// Whether the JVM is running.
    public var isRunning: Bool { process.withLock { $0?.isRunning ?? false } }
    /// The path of the server's log (the JVM's output, warnings and errors).
    public var logPath: String { directory + "/server.log" }

    init(configuration: ServerConfiguration, directory: String, memberID: Int?, javaOptions: [String] = testJavaOptions) throws {
        self.configuration = configuration
        self.directory = directory
        self.memberID = memberID
        self.javaOptions = javaOptions
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        try configuration.render().write(toFile: directory + "/zoo.cfg", atomically: true, encoding: .utf8)
        if let memberID {
            try "\(memberID)\n".write(toFile: configuration.dataDirectory + "/myid", atomically: true, encoding: .utf8)
        }
    }

    /// A fresh temporary directory for a server.
    static func makeDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("roost-zk-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Starts a standalone server on a free port and returns once it serves clients.
    /// - Parameters:
    ///   - tickTime: the server's tick in milliseconds (default 200).
    ///   - javaOptions: the JVM's options (default ``testJavaOptions``; a benchmark wants the full JIT).
    /// - Throws: ``ZooKeeperTestingError`` when ZooKeeper is not installed or the server does not come up.
    public static func start(tickTime: Int = 200, javaOptions: [String] = testJavaOptions) async throws -> ZooKeeperServer {
        try ZooKeeperInstallation.check()
        var lastError: (any Error)?
        // A port found free can be taken by another process before the server binds it: try again.
        for _ in 0..<3 {
            let directory = try makeDirectory()
            var configuration = ServerConfiguration(clientPort: try freePorts(1)[0], dataDirectory: directory + "/data")
            configuration.tickTime = tickTime
            let server = try ZooKeeperServer(configuration: configuration, directory: directory, memberID: nil, javaOptions: javaOptions)
            do {
                try await server.restart()
                return server
            } catch {
                lastError = error
                await server.stop()
                guard server.lostPortRace else { throw error }
            }
        }
        throw lastError!
    }

    /// Starts a standalone server, runs `body` with it, and stops it whatever `body` does.
    @discardableResult
    public static func withServer<Result>(tickTime: Int = 200, _ body: (ZooKeeperServer) async throws -> Result) async throws -> Result {
        let server = try await start(tickTime: tickTime)
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    /// Starts the JVM (again, with the same port and data) and returns once the server serves
    /// clients: `srvr` answers with a `Mode:` line (`ruok` answers before that).
    /// - Throws: ``ZooKeeperTestingError`` with the end of the server's log when it exits or is not serving within `timeout`.
    public func restart(timeout: Duration = .seconds(30)) async throws {
        try launch()
        try await waitUntilServing(timeout: timeout)
    }

    /// Starts the JVM without waiting for it to serve (an ensemble starts all members first).
    func launch() throws {
        try process.withLock { process in
            guard !(process?.isRunning ?? false) else { return }
            process = try ChildProcess(
                executable: ZooKeeperInstallation.java,
                arguments: javaOptions + [
                    "-Djava.net.preferIPv4Stack=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                    "-Dzookeeper.admin.enableServer=false",
                    "-cp", ZooKeeperInstallation.classPath, "org.apache.zookeeper.server.quorum.QuorumPeerMain", directory + "/zoo.cfg",
                ],
                logFile: logPath)
        }
    }

    /// Waits until `srvr` reports a mode (standalone, leader or follower).
    func waitUntilServing(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            guard isRunning else {
                throw ZooKeeperTestingError("ZooKeeper on port \(clientPort) exited while starting; its log ends:\n\(logTail())")
            }
            if let mode = mode() {
                _ = mode
                return
            }
            guard ContinuousClock.now < deadline else {
                throw ZooKeeperTestingError("ZooKeeper on port \(clientPort) not serving after \(timeout); its log ends:\n\(logTail())")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The server's mode from `srvr` (`standalone`, `leader`, `follower`), or `nil` when it is not serving.
    public func mode() -> String? {
        guard let answer = try? fourLetterWord("srvr"),
            let line = answer.split(separator: "\n").first(where: { $0.hasPrefix("Mode:") })
        else { return nil }
        return line.dropFirst("Mode:".count).trimmingCharacters(in: .whitespaces)
    }

    /// Sends a four-letter word (`srvr`, `wchc`, `cons`, `mntr`, …) and returns the answer.
    /// - Throws: ``ZooKeeperTestingError`` when the server cannot be reached.
    public func fourLetterWord(_ word: String) throws -> String {
        try ZooKeeperTesting.fourLetterWord(word, port: clientPort)
    }

    /// Stops the JVM (SIGTERM, or SIGKILL at once when `graceful` is false, as a crash) and waits
    /// for it to exit, keeping the data directory for ``restart()``.
    public func stopKeepingData(graceful: Bool = true) async {
        guard let process = process.withLock({ $0 }) else { return }
        process.signal(SIGCONT)
        if graceful {
            await process.stop()
        } else {
            process.signal(SIGKILL)
            _ = await process.waitForExit(timeout: .seconds(30))
        }
    }

    /// Freezes the JVM (SIGSTOP): connections stay open but nothing answers, as with a hung server
    /// or a network partition. ``resume()`` undoes it; ``stop()`` also ends a frozen server.
    public func pause() {
        process.withLock { $0?.signal(SIGSTOP) }
    }

    /// Lets a paused JVM run again (SIGCONT).
    public func resume() {
        process.withLock { $0?.signal(SIGCONT) }
    }

    /// Stops the JVM (SIGTERM, then SIGKILL after 5 s), waits for it to exit, and deletes the directory.
    public func stop() async {
        await stopKeepingData()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Whether the server failed because its port was taken meanwhile.
    var lostPortRace: Bool {
        let log = logTail()
        return log.contains("Address already in use") || log.contains("BindException")
    }

    func logTail(lines: Int = 30) -> String {
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return "(no log)" }
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }
}
