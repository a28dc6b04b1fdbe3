public import FoundationEssentials
public import RoostCore

/// A workload to run through a ``SimulatedCluster``: the agents, the frameworks and the
/// tasks each framework submits over virtual time. `roost simulate` reads it from JSON
/// (see `docs/simulate.md`); tests can build one in code.
///
/// ```json
/// {
///   "agents":     [{"id": "a1", "resources": "cpus:9;mem:18432", "attributes": {"rack": "r1"}, "count": 1}],
///   "frameworks": [{"id": "A", "role": "*", "weight": 1, "priority": 0, "maxTasksPerOffer": 1,
///                   "tasks": [{"count": 100, "resources": "cpus:1;mem:4096", "submitAt": 0, "duration": null}]}],
///   "until": 3600
/// }
/// ```
///
/// Times are seconds of virtual time. Every problem is an ``InputError`` whose field is the
/// path of the bad value (`frameworks[1].tasks[0].resources`); unknown fields are errors.
public struct WorkloadTrace: Sendable, Hashable, Decodable {
    /// Agents of one shape.
    public struct Agent: Sendable, Hashable, Decodable {
        /// The name of the agent (with `count` > 1, of each copy: `id-1`, `id-2`, …).
        public var id: String
        /// What each copy offers.
        public var resources: Resources
        /// Attributes of each copy.
        public var attributes: [String: String]
        /// How many identical agents this entry stands for. Default 1.
        public var count: Int

        /// An agent entry; see each property.
        public init(id: String, resources: Resources, attributes: [String: String] = [:], count: Int = 1) {
            self.id = id
            self.resources = resources
            self.attributes = attributes
            self.count = count
        }

        /// Reads and checks an entry (fields `id`, `resources`, `attributes`, `count`).
        /// - Throws: ``InputError`` naming the path of the bad or unknown field.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(allowing: ["id", "resources", "attributes", "count"])
            id = try c.decode(String.self, forKey: AnyKey("id"))
            resources = try c.decodeResources(forKey: AnyKey("resources"))
            attributes = try c.decodeIfPresent([String: String].self, forKey: AnyKey("attributes")) ?? [:]
            count = try c.decodeWholeIfPresent(forKey: AnyKey("count")) ?? 1
            try check(id, path: c.codingPath + [AnyKey("id")])
            guard count >= 1 else { throw InputError(field: (c.codingPath + [AnyKey("count")]).fieldPath, "must be 1 or more, not \(count)") }
            guard !resources.isEmpty else { throw InputError(field: (c.codingPath + [AnyKey("resources")]).fieldPath, "an agent must offer some resources") }
        }
    }

    /// A framework and the tasks it submits.
    public struct Framework: Sendable, Hashable, Decodable {
        /// Its name; also its key in reports.
        public var id: String
        /// The role it subscribes with. Default `*`.
        public var role: Role
        /// The weight of its role (frameworks sharing a role must agree). Default 1.
        public var weight: Double
        /// Its priority, for the priority policy (higher first). Default 0.
        public var priority: Int
        /// How many tasks it launches from one offer. Default 1.
        public var maxTasksPerOffer: Int
        /// What it submits.
        public var tasks: [TaskGroup]

        /// A framework entry; see each property.
        public init(id: String, role: Role = .any, weight: Double = 1, priority: Int = 0, maxTasksPerOffer: Int = 1, tasks: [TaskGroup]) {
            self.id = id
            self.role = role
            self.weight = weight
            self.priority = priority
            self.maxTasksPerOffer = maxTasksPerOffer
            self.tasks = tasks
        }

        /// Reads and checks an entry (fields `id`, `role`, `weight`, `priority`, `maxTasksPerOffer`, `tasks`).
        /// - Throws: ``InputError`` naming the path of the bad or unknown field.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(allowing: ["id", "role", "weight", "priority", "maxTasksPerOffer", "tasks"])
            id = try c.decode(String.self, forKey: AnyKey("id"))
            try check(id, path: c.codingPath + [AnyKey("id")])
            let roleName = try c.decodeIfPresent(String.self, forKey: AnyKey("role")) ?? "*"
            do {
                role = try Role(roleName)
            } catch {
                throw InputError(field: (c.codingPath + [AnyKey("role")]).fieldPath, error.message)
            }
            weight = try c.decodeIfPresent(Double.self, forKey: AnyKey("weight")) ?? 1
            guard weight.isFinite, weight > 0 else {
                throw InputError(field: (c.codingPath + [AnyKey("weight")]).fieldPath, "must be a positive number, not \(weight)")
            }
            priority = try c.decodeWholeIfPresent(forKey: AnyKey("priority")) ?? 0
            maxTasksPerOffer = try c.decodeWholeIfPresent(forKey: AnyKey("maxTasksPerOffer")) ?? 1
            guard maxTasksPerOffer >= 1 else {
                throw InputError(field: (c.codingPath + [AnyKey("maxTasksPerOffer")]).fieldPath, "must be 1 or more, not \(maxTasksPerOffer)")
            }
            tasks = try c.decodeIfPresent([TaskGroup].self, forKey: AnyKey("tasks")) ?? []
        }
    }

    /// Identical tasks submitted together.
    public struct TaskGroup: Sendable, Hashable, Decodable {
        /// How many tasks. Default 1.
        public var count: Int
        /// What each task uses.
        public var resources: Resources
        /// When they become pending (virtual time since the start). Default 0.
        public var submitAt: Duration
        /// How long each runs once launched; `nil` (JSON `null` or absent): until the end.
        public var duration: Duration?

        /// A task group; see each property.
        public init(count: Int = 1, resources: Resources, submitAt: Duration = .zero, duration: Duration? = nil) {
            self.count = count
            self.resources = resources
            self.submitAt = submitAt
            self.duration = duration
        }

        /// Reads and checks an entry (fields `count`, `resources`, `submitAt`, `duration`).
        /// - Throws: ``InputError`` naming the path of the bad or unknown field.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(allowing: ["count", "resources", "submitAt", "duration"])
            count = try c.decodeWholeIfPresent(forKey: AnyKey("count")) ?? 1
            guard count >= 1 else { throw InputError(field: (c.codingPath + [AnyKey("count")]).fieldPath, "must be 1 or more, not \(count)") }
            resources = try c.decodeResources(forKey: AnyKey("resources"))
            guard !resources.isEmpty else {
                throw InputError(field: (c.codingPath + [AnyKey("resources")]).fieldPath, "a task must use some resources, such as 'cpus:1;mem:128'")
            }
            submitAt = try c.decodeSeconds(forKey: AnyKey("submitAt"), allowZero: true) ?? .zero
            duration = try c.decodeSeconds(forKey: AnyKey("duration"), allowZero: false)
        }
    }

    /// The agents.
    public var agents: [Agent]
    /// The frameworks, in the order they register (FIFO's order).
    public var frameworks: [Framework]
    /// When the run ends (virtual time since the start).
    public var until: Duration

    /// A trace built in code, checked as a decoded one is.
    /// - Throws: ``InputError`` naming the path of the problem (`frameworks[1].weight`).
    public init(agents: [Agent], frameworks: [Framework], until: Duration) throws(InputError) {
        self.agents = agents
        self.frameworks = frameworks
        self.until = until
        try validate()
    }

    /// Reads a trace from JSON text.
    /// - Throws: ``InputError`` naming the path of the bad field (`frameworks[1].tasks[0].resources`),
    ///   an unknown field, a missing one, or where the JSON itself is broken.
    public init(json: Data) throws(InputError) {
        do {
            self = try JSONDecoder().decode(WorkloadTrace.self, from: json)
        } catch let error as InputError {
            throw error
        } catch let DecodingError.keyNotFound(key, context) {
            throw InputError(field: (context.codingPath + [key]).fieldPath, "is missing")
        } catch let DecodingError.typeMismatch(type, context) {
            throw InputError(field: context.codingPath.fieldPath, "expected \(Self.describe(type)): \(context.debugDescription)")
        } catch let DecodingError.valueNotFound(type, context) {
            throw InputError(field: context.codingPath.fieldPath, "expected \(Self.describe(type)), found null")
        } catch let DecodingError.dataCorrupted(context) {
            let underlying = (context.underlyingError).map { " (\($0))" } ?? ""
            throw InputError(field: context.codingPath.isEmpty ? "trace" : context.codingPath.fieldPath, "\(context.debugDescription)\(underlying)")
        } catch {
            throw InputError(field: "trace", "\(error)")
        }
    }

    /// Reads and checks a whole trace (fields `agents`, `frameworks`, `until`).
    /// - Throws: ``InputError`` naming the path of the bad or unknown field.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(allowing: ["agents", "frameworks", "until"])
        agents = try c.decode([Agent].self, forKey: AnyKey("agents"))
        frameworks = try c.decode([Framework].self, forKey: AnyKey("frameworks"))
        guard let until = try c.decodeSeconds(forKey: AnyKey("until"), allowZero: false) else {
            throw InputError(field: "until", "is missing: the virtual time (seconds) the run ends at")
        }
        self.until = until
        try validate()
    }

    /// The checks that involve more than one field.
    private func validate() throws(InputError) {
        guard !agents.isEmpty else { throw InputError(field: "agents", "the trace needs at least one agent") }
        guard !frameworks.isEmpty else { throw InputError(field: "frameworks", "the trace needs at least one framework") }
        guard until > .zero else { throw InputError(field: "until", "must be a positive number of seconds") }
        var seenAgents: [String: Int] = [:]
        for (index, agent) in agents.enumerated() {
            guard agent.count >= 1 else { throw InputError(field: "agents[\(index)].count", "must be 1 or more, not \(agent.count)") }
            guard !agent.resources.isEmpty else { throw InputError(field: "agents[\(index)].resources", "an agent must offer some resources") }
            if let first = seenAgents.updateValue(index, forKey: agent.id) {
                throw InputError(field: "agents[\(index)].id", "'\(agent.id)' is already the id of agents[\(first)]")
            }
        }
        var seen: [String: Int] = [:]
        var roleWeights: [Role: (weight: Double, index: Int)] = [:]
        for (index, framework) in frameworks.enumerated() {
            if let first = seen.updateValue(index, forKey: framework.id) {
                throw InputError(field: "frameworks[\(index)].id", "'\(framework.id)' is already the id of frameworks[\(first)]")
            }
            guard framework.weight.isFinite, framework.weight > 0 else {
                throw InputError(field: "frameworks[\(index)].weight", "must be a positive number, not \(framework.weight)")
            }
            guard framework.maxTasksPerOffer >= 1 else {
                throw InputError(field: "frameworks[\(index)].maxTasksPerOffer", "must be 1 or more, not \(framework.maxTasksPerOffer)")
            }
            for (taskIndex, group) in framework.tasks.enumerated() {
                let path = "frameworks[\(index)].tasks[\(taskIndex)]"
                guard group.count >= 1 else { throw InputError(field: "\(path).count", "must be 1 or more, not \(group.count)") }
                guard !group.resources.isEmpty else { throw InputError(field: "\(path).resources", "a task must use some resources, such as 'cpus:1;mem:128'") }
                guard group.submitAt >= .zero else { throw InputError(field: "\(path).submitAt", "must be zero or more seconds") }
                if let duration = group.duration, duration <= .zero { throw InputError(field: "\(path).duration", "must be more than zero seconds") }
            }
            if let other = roleWeights[framework.role], other.weight != framework.weight {
                throw InputError(
                    field: "frameworks[\(index)].weight",
                    "role \(framework.role) has weight \(other.weight) in frameworks[\(other.index)]; frameworks sharing a role must agree on its weight")
            }
            roleWeights[framework.role] = (framework.weight, index)
            for (taskIndex, group) in framework.tasks.enumerated() where group.submitAt >= until {
                throw InputError(
                    field: "frameworks[\(index)].tasks[\(taskIndex)].submitAt",
                    "\(group.submitAt.seconds) is not before until (\(until.seconds)); the tasks would never be submitted")
            }
        }
    }

    /// The weight of each role the frameworks use.
    public var roleWeights: [Role: Double] {
        frameworks.reduce(into: [:]) { $0[$1.role] = $1.weight }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type: "a whole number"
        case is Double.Type: "a number"
        case is [String: String].Type: "an object of strings"
        default: String(describing: type)
        }
    }
}

/// A JSON key by name or index, for strict decoding.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?

    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) {
        stringValue = "\(intValue)"
        self.intValue = intValue
    }
}

extension [any CodingKey] {
    /// `frameworks[1].tasks[0].resources`.
    var fieldPath: String {
        var path = ""
        for key in self {
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return path
    }
}

extension Decoder {
    /// A keyed container that refuses fields outside `allowed`.
    func strictContainer(allowing allowed: Set<String>) throws -> KeyedDecodingContainer<AnyKey> {
        let c = try container(keyedBy: AnyKey.self)
        for key in c.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) where !allowed.contains(key.stringValue) {
            throw InputError(field: (c.codingPath + [key]).fieldPath, "unknown field; expected one of \(allowed.sorted().joined(separator: ", "))")
        }
        return c
    }
}

extension KeyedDecodingContainer<AnyKey> {
    /// Resources in Mesos text form; the error names this field's path.
    func decodeResources(forKey key: AnyKey) throws -> Resources {
        let text = try decode(String.self, forKey: key)
        do {
            return try Resources(parsing: text)
        } catch {
            throw InputError(field: (codingPath + [key]).fieldPath, error.message)
        }
    }

    /// A whole number, absent or `null` as `nil`. Read as a `Double` and checked here, because
    /// JSONDecoder reports a fraction read as an `Int` as invalid JSON, without the field's path.
    func decodeWholeIfPresent(forKey key: AnyKey) throws -> Int? {
        guard let value = try decodeIfPresent(Double.self, forKey: key) else { return nil }
        guard value.isFinite, value.rounded() == value, abs(value) < 1e15 else {
            throw InputError(field: (codingPath + [key]).fieldPath, "expected a whole number, not \(value)")
        }
        return Int(value)
    }

    /// A number of seconds, absent or `null` as `nil`.
    func decodeSeconds(forKey key: AnyKey, allowZero: Bool) throws -> Duration? {
        guard let seconds = try decodeIfPresent(Double.self, forKey: key) else { return nil }
        guard seconds.isFinite, seconds > 0 || (allowZero && seconds == 0) else {
            throw InputError(field: (codingPath + [key]).fieldPath, "must be \(allowZero ? "zero or more" : "more than zero") seconds, not \(seconds)")
        }
        return .seconds(seconds)
    }
}

/// Checks a name used as an ID.
private func check(_ id: String, path: [any CodingKey]) throws(InputError) {
    guard !id.isEmpty, !id.contains("/"), !id.contains(where: \.isWhitespace) else {
        throw InputError(field: path.fieldPath, "'\(id)' must be non-empty, without '/' or spaces")
    }
}
