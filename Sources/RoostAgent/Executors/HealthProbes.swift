import RoostCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The verdict of one probe, with a detail for the task's status message.
enum ProbeResult: Hashable, Sendable {
    case passed(String)
    case failed(String)
}

/// One check of a ``HealthCheck/Kind`` against a task on this machine, limited to `timeout`:
/// what a ``HealthChecker`` and a ``ReadinessChecker`` run every interval, so both judge a
/// command, a TCP connection and an HTTP answer the same way.
struct CheckProbe: Sendable {
    let kind: HealthCheck.Kind
    let timeout: Duration
    /// Where a command check runs (the task's working directory) and with what variables (the task's).
    let workingDirectory: String
    let environment: [String: String]
    /// What the check is called in messages: `health check` or `readiness check`.
    let name: String

    /// Runs the check once; a command still running at `timeout` (or when the calling task is
    /// cancelled) is killed with its whole process group.
    func run() async -> ProbeResult {
        switch kind {
        case .tcp(let port):
            return await SocketProbe.tcp(port: port, timeout: timeout)
        case .http(let port, let path):
            return await SocketProbe.http(port: port, path: path, timeout: timeout)
        case .command(let command):
            let configuration = TaskProcess.Configuration(
                command: command, workingDirectory: workingDirectory, environment: environment, teardownGracePeriod: .zero)
            let process: TaskProcess
            do {
                process = try await TaskProcess.launch(configuration)
            } catch {
                return .failed("the \(name) command could not start: \(error.message)")
            }
            guard let termination = await process.wait(timeout: timeout) else {
                // Timed out (or the checker was cancelled): kill the check's whole group now.
                await process.kill(gracePeriod: .zero)
                return .failed("the \(name) command '\(command)' did not finish within \(timeout)")
            }
            if termination.isSuccess {
                return .passed("the \(name) command passed")
            }
            return .failed("the \(name) command '\(command)' \(termination)")
        }
    }
}

/// TCP and HTTP checks against the task on the loopback interface.
///
/// Sockets are non-blocking and polled with a short back-off until the check's timeout, so a
/// check never blocks a thread of the cooperative pool.
enum SocketProbe {
    /// Passes when a TCP connection to `127.0.0.1:port` is accepted within `timeout`.
    static func tcp(port: Int, timeout: Duration) async -> ProbeResult {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        switch await connect(port: port, deadline: deadline) {
        case .success(let fd):
            close(fd)
            return .passed("connected to 127.0.0.1:\(port)")
        case .failure(let reason):
            return .failed(reason.message)
        }
    }

    /// Passes when `GET path` on `127.0.0.1:port` answers with a 2xx or 3xx status within
    /// `timeout` (Mesos' HTTP health check and check).
    static func http(port: Int, path: String, timeout: Duration) async -> ProbeResult {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        let fd: Int32
        switch await connect(port: port, deadline: deadline) {
        case .success(let connected): fd = connected
        case .failure(let reason): return .failed(reason.message)
        }
        defer { close(fd) }
        let target = path.hasPrefix("/") ? path : "/" + path
        let request = Array("GET \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUser-Agent: roost-health-check\r\nAccept: */*\r\nConnection: close\r\n\r\n".utf8)
        var sent = 0
        while sent < request.count {
            let count = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count > 0 { sent += count; continue }
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                guard await wait(fd, for: Int16(POLLOUT), until: deadline) else {
                    return .failed("GET \(target) on port \(port): timed out after \(timeout) sending the request")
                }
                continue
            }
            return .failed("GET \(target) on port \(port): cannot send the request: \(String(cString: strerror(errno)))")
        }
        // Read until the status line is complete.
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        while !response.contains(UInt8(ascii: "\n")) && response.count < 8192 {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 { response.append(contentsOf: buffer[..<count]); continue }
            if count == 0 { break }
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                guard await wait(fd, for: Int16(POLLIN), until: deadline) else {
                    return .failed("GET \(target) on port \(port): no response within \(timeout)")
                }
                continue
            }
            return .failed("GET \(target) on port \(port): cannot read the response: \(String(cString: strerror(errno)))")
        }
        let statusLine = String(decoding: response.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else {
            return .failed("GET \(target) on port \(port): not an HTTP response: '\(statusLine.prefix(80))'")
        }
        if (200..<400).contains(status) {
            return .passed("GET \(target) on port \(port) answered \(status)")
        }
        return .failed("GET \(target) on port \(port) answered \(status)")
    }

    struct Failure: Error { var message: String }

    /// A connected non-blocking socket to `127.0.0.1:port`.
    static func connect(port: Int, deadline: ContinuousClock.Instant) async -> Result<Int32, Failure> {
        guard (1...65535).contains(port) else { return .failure(Failure(message: "\(port) is not a port number")) }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(Failure(message: "cannot create a socket: \(String(cString: strerror(errno)))")) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if result == 0 { return .success(fd) }
        guard errno == EINPROGRESS || errno == EINTR else {
            let reason = String(cString: strerror(errno))
            close(fd)
            return .failure(Failure(message: "cannot connect to 127.0.0.1:\(port): \(reason)"))
        }
        guard await wait(fd, for: Int16(POLLOUT), until: deadline) else {
            close(fd)
            return .failure(Failure(message: "connecting to 127.0.0.1:\(port) timed out"))
        }
        var socketError: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &socketError, &length) == 0, socketError == 0 else {
            let reason = String(cString: strerror(socketError == 0 ? errno : socketError))
            close(fd)
            return .failure(Failure(message: "cannot connect to 127.0.0.1:\(port): \(reason)"))
        }
        return .success(fd)
    }

    /// Whether `fd` becomes ready for `events` (or has an error or hang-up) before `deadline`.
    static func wait(_ fd: Int32, for events: Int16, until deadline: ContinuousClock.Instant) async -> Bool {
        await Backoff.poll(until: deadline, cap: .milliseconds(20)) {
            var descriptor = pollfd(fd: fd, events: events, revents: 0)
            return poll(&descriptor, 1, 0) > 0
        }
    }
}
