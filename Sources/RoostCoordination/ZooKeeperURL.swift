public import RoostCore

/// Where a Roost cluster's coordination lives: `zk://host:port[,host:port…]/path`, as Mesos' `--zk` flag.
///
/// The servers form the connect string; the path is the cluster's root node. The leader
/// election lives under ``electionPath`` (`<path>/leader`) and the ``ZooKeeperStateStore``
/// under ``statePath`` (`<path>/state`), so one URL names everything a cluster shares.
public struct ZooKeeperURL: Hashable, Sendable, CustomStringConvertible {
    /// The servers as `host:port`, in the order given (the port defaults to 2181).
    public var servers: [String]
    /// The cluster's root node, such as `/roost`; never `/` and never ending in `/`.
    public var path: String

    /// Parses `zk://host[:port][,host[:port]…]/path`.
    ///
    /// - Throws: ``InputError`` with field `zk` naming what is wrong (scheme, host, port or
    ///   path) and showing the accepted form.
    public init(_ text: String) throws(InputError) {
        func invalid(_ problem: String) -> InputError {
            InputError(field: "zk", "\(String(reflecting: text)) \(problem); expected zk://host:port[,host:port…]/path such as zk://127.0.0.1:2181/roost")
        }
        let scheme = "zk://"
        guard text.hasPrefix(scheme) else { throw invalid("does not start with zk://") }
        let rest = text.dropFirst(scheme.count)
        guard let slash = rest.firstIndex(of: "/") else { throw invalid("has no path (the cluster's root node)") }
        let hosts = rest[..<slash]
        let path = String(rest[slash...])
        var servers: [String] = []
        for entry in hosts.split(separator: ",", omittingEmptySubsequences: false) {
            guard !entry.isEmpty else { throw invalid("has an empty server entry") }
            var host = Substring(entry)
            var port = 2181
            if let colon = entry.lastIndex(of: ":"), !entry.hasSuffix("]") {
                host = entry[..<colon]
                let portText = entry[entry.index(after: colon)...]
                guard let value = Int(portText), (1...65535).contains(value) else {
                    throw invalid("has an invalid port '\(portText)' (1–65535)")
                }
                port = value
            }
            guard !host.isEmpty else { throw invalid("has a server entry with no host") }
            guard !host.contains(where: { $0 == " " || $0 == "@" || $0 == "?" || $0 == "#" }) else {
                throw invalid("has an invalid host '\(host)'")
            }
            servers.append("\(host):\(port)")
        }
        guard !servers.isEmpty else { throw invalid("names no server") }
        guard path != "/" else { throw invalid("has the root '/' as its path; name a node such as /roost") }
        guard !path.hasSuffix("/") else { throw invalid("has a path ending in '/'") }
        let segments = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        guard segments.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else {
            throw invalid("has an empty, '.' or '..' segment in its path")
        }
        guard !path.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) else {
            throw invalid("has a control character in its path")
        }
        self.servers = servers
        self.path = path
    }

    /// The servers as a ZooKeeper connect string (`host:port,host:port`, no chroot).
    public var connectString: String { servers.joined(separator: ",") }
    /// The node the masters' election nodes are created under: `<path>/leader`.
    public var electionPath: String { path + "/leader" }
    /// The node a ``ZooKeeperStateStore`` keeps its keys under: `<path>/state`.
    public var statePath: String { path + "/state" }

    /// `zk://host:port,host:port/path`.
    public var description: String { "zk://\(connectString)\(path)" }
}
