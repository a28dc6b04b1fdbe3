/// A server's address, as named in a connect string.
public struct ServerAddress: Hashable, Sendable, CustomStringConvertible {
    /// Host name or IP address.
    public var host: String
    /// TCP port.
    public var port: Int

    /// An address from its host and port.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `host:port` (`[v6]:port` for an IPv6 address).
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// A parsed connect string: `host:port,host:port/chroot`, the form every ZooKeeper client takes.
public struct ConnectString: Hashable, Sendable {
    /// The servers, in the order given.
    public var servers: [ServerAddress]
    /// The path every path of the client is relative to, or `nil` for the root.
    public var chroot: String?

    /// The port used when an entry names none.
    public static let defaultPort = 2181

    /// Parses `host[:port][,host[:port]…][/chroot]`; IPv6 hosts go in brackets.
    /// - Throws: ``ZooKeeperError`` with ``ZooKeeperError/Code-swift.struct/badArguments`` naming the offending part.
    public init(_ string: String) throws {
        var hosts = Substring(string)
        chroot = nil
        if let slash = string.firstIndex(of: "/") {
            hosts = string[..<slash]
            let path = String(string[slash...])
            try validatePath(path)
            chroot = path == "/" ? nil : path
        }
        servers = []
        for entry in hosts.split(separator: ",", omittingEmptySubsequences: true) {
            let entry = entry.trimmingSpaces
            var host = Substring(entry)
            var port = Self.defaultPort
            if entry.hasPrefix("[") {
                guard let close = entry.firstIndex(of: "]") else {
                    throw ZooKeeperError(.badArguments, "connect string \(string): unclosed '[' in \(entry)")
                }
                host = entry[entry.index(after: entry.startIndex)..<close]
                let rest = entry[entry.index(after: close)...]
                if rest.hasPrefix(":") { port = try Self.port(rest.dropFirst(), in: string) }
            } else if let colon = entry.lastIndex(of: ":") {
                host = entry[..<colon]
                port = try Self.port(entry[entry.index(after: colon)...], in: string)
            }
            guard !host.isEmpty else { throw ZooKeeperError(.badArguments, "connect string \(string): empty host in \(entry)") }
            servers.append(ServerAddress(host: String(host), port: port))
        }
        guard !servers.isEmpty else { throw ZooKeeperError(.badArguments, "connect string \(string): names no server") }
    }

    private static func port(_ text: Substring, in string: String) throws -> Int {
        guard let port = Int(text), (1...65535).contains(port) else {
            throw ZooKeeperError(.badArguments, "connect string \(string): invalid port \(text)")
        }
        return port
    }

    /// The server-side path of a client path.
    func serverPath(_ path: String) -> String {
        guard let chroot else { return path }
        return path == "/" ? chroot : chroot + path
    }

    /// The client path of a server-side path (the chroot removed).
    func clientPath(_ serverPath: String) -> String {
        guard let chroot else { return serverPath }
        if serverPath == chroot { return "/" }
        if serverPath.hasPrefix(chroot), serverPath.utf8.dropFirst(chroot.utf8.count).first == UInt8(ascii: "/") {
            return String(serverPath.dropFirst(chroot.count))
        }
        return serverPath
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var result = self
        while result.first == " " { result = result.dropFirst() }
        while result.last == " " { result = result.dropLast() }
        return result
    }
}

/// Checks a path as the server would (`PathUtils.validatePath`): absolute, no empty, `.` or `..`
/// segment, no trailing slash (except `/` itself, or before the counter of a sequential node), no NUL.
/// - Throws: ``ZooKeeperError`` with ``ZooKeeperError/Code-swift.struct/badArguments`` naming the path.
func validatePath(_ path: String, sequential: Bool = false) throws {
    func invalid(_ why: String) -> ZooKeeperError {
        ZooKeeperError(.badArguments, "invalid path \"\(path)\": \(why)", path: path)
    }
    guard path.first == "/" else { throw invalid("must start with /") }
    if path == "/" { return }
    if path.last == "/" && !sequential { throw invalid("must not end with /") }
    if path.unicodeScalars.contains(where: { $0 == "\0" || ($0.value > 0 && $0.value < 0x20) || (0x7f...0x9f).contains($0.value) }) {
        throw invalid("contains a control character")
    }
    let segments = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
    for (index, segment) in segments.enumerated() {
        if segment.isEmpty && !(sequential && index == segments.count - 1) { throw invalid("empty segment") }
        if segment == "." || segment == ".." { throw invalid("relative segment \(segment)") }
    }
}
