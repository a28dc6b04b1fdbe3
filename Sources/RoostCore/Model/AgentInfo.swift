/// What an agent advertises when it registers: where it is, what it offers and how it is labelled.
///
/// JSON fields: `id` (absent before the master assigns one), `hostname`,
/// `port`, `resources`, `attributes` (an object of strings), `isolation` (optional).
public struct AgentInfo: Hashable, Sendable, Codable {
    /// The agent's ID; `nil` until the master assigns one at first registration.
    public var id: AgentID?
    /// The host the agent runs on; constraints such as `UNIQUE hostname` use it.
    public var hostname: String
    /// The agent's API port, when it has one (0 for in-process agents).
    public var port: Int
    /// Everything the agent offers.
    public var resources: Resources
    /// Free-form labels used by placement constraints, such as `rack: r1`.
    public var attributes: [String: String]
    /// How the agent isolates tasks (`cgroups-v1`, `cgroups-v2`, `process-groups`); `nil`
    /// when the agent did not say. JSON field `isolation`, omitted when `nil`.
    public var isolation: String?

    /// Creates an agent description.
    public init(id: AgentID? = nil, hostname: String, port: Int = 0, resources: Resources, attributes: [String: String] = [:], isolation: String? = nil) {
        self.isolation = isolation
        self.id = id
        self.hostname = hostname
        self.port = port
        self.resources = resources
        self.attributes = attributes
    }

    /// Parses attributes from Mesos' text form, `rack:r1;zone:eu-1`.
    /// - Throws: ``InputError`` naming the bad `name:value` pair.
    public static func parseAttributes(_ text: String) throws(InputError) -> [String: String] {
        var attributes: [String: String] = [:]
        for pair in text.split(separator: ";", omittingEmptySubsequences: true) {
            let trimmed = pair.trimmingWhitespace()
            if trimmed.isEmpty { continue }
            let parts = trimmed.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw InputError(field: "attributes", "'\(trimmed)' is not of the form name:value")
            }
            let name = String(parts[0])
            guard attributes[name] == nil else {
                throw InputError(field: "attributes", "'\(name)' is given twice")
            }
            attributes[name] = String(parts[1])
        }
        return attributes
    }
}

extension Substring {
    func trimmingWhitespace() -> Substring {
        var result = self
        while let first = result.first, first.isWhitespace { result.removeFirst() }
        while let last = result.last, last.isWhitespace { result.removeLast() }
        return result
    }
}
