import FoundationEssentials
import RoostCore
import Yams

// The JSON/YAML form of a service spec. Decoding rejects unknown fields and names the field of
// every problem; encoding writes the same field names, so a spec round-trips.

/// Reads one object of a service spec; its errors are ``ServiceSpecError``s.
typealias ServiceReader = SpecReader<ServiceSpecError>

extension ServiceSpec: Codable {
    static let fieldNames = [
        "id", "command", "resources", "environment", "labels", "instances", "ports", "healthCheck", "readinessCheck",
        "backoffSeconds", "backoffFactor", "maxLaunchDelaySeconds", "upgradeStrategy", "constraints", "killSelection",
        "killGracePeriodSeconds",
    ]

    /// Decodes a spec, checking field names and types (not values: see ``validate()``).
    /// - Throws: ``ServiceSpecError`` naming the field: unknown, missing or of the wrong type.
    public init(from decoder: any Decoder) throws {
        let probe = try ServiceReader(decoder, path: "service", subject: nil)
        let id = try probe.required("id", as: String.self, example: "id: web")
        let reader = try ServiceReader(decoder, path: "service", subject: "service '\(id)'")
        try reader.rejectUnknownKeys(Self.fieldNames)
        self.init(id: id, command: try Self.readCommand(reader, field: "command", required: true)!)
        if let text = try reader.optional("resources", as: String.self) {
            do {
                resources = try Resources(parsing: text)
            } catch {
                throw ServiceSpecError.invalidField("service.resources", "\(error.message) (for example cpus:0.5;mem:128)")
            }
        }
        environment = try reader.optional("environment") ?? [:]
        labels = try reader.optional("labels") ?? [:]
        instances = try reader.optional("instances") ?? instances
        ports = try reader.optional("ports") ?? []
        let portNames = ports
        healthCheck = try reader.nested("healthCheck") { decoder, path in
            try ServiceCheck(reader: ServiceReader(decoder, path: path, subject: reader.subject), ports: portNames, readiness: false)
        }
        readinessCheck = try reader.nested("readinessCheck") { decoder, path in
            try ServiceCheck(reader: ServiceReader(decoder, path: path, subject: reader.subject), ports: portNames, readiness: true)
        }
        backoff = try reader.seconds("backoffSeconds") ?? backoff
        backoffFactor = try reader.optional("backoffFactor") ?? backoffFactor
        maxLaunchDelay = try reader.seconds("maxLaunchDelaySeconds") ?? maxLaunchDelay
        upgradeStrategy = try reader.nested("upgradeStrategy") { decoder, path in
            let inner = try ServiceReader(decoder, path: path, subject: reader.subject)
            try inner.rejectUnknownKeys(["minimumHealthCapacity", "maximumOverCapacity"])
            let defaults = UpgradeStrategy()
            return UpgradeStrategy(
                minimumHealthCapacity: try inner.optional("minimumHealthCapacity") ?? defaults.minimumHealthCapacity,
                maximumOverCapacity: try inner.optional("maximumOverCapacity") ?? defaults.maximumOverCapacity)
        } ?? upgradeStrategy
        constraints = try PlacementConstraint.readList("constraints", in: reader) ?? []
        if let name = try reader.optional("killSelection", as: String.self) {
            killSelection = try ServiceReader.parseName(name, field: "service.killSelection", as: KillSelection.self)
        }
        killGracePeriod = try reader.seconds("killGracePeriodSeconds")
    }

    /// A command: a string (run by `/bin/sh -c`) or a list (a program and its arguments).
    static func readCommand(_ reader: ServiceReader, field: String, required: Bool) throws(ServiceSpecError) -> Command? {
        let example = "\(field): echo hello, or \(field): [/bin/echo, hello]"
        guard reader.has(field) else {
            if required { throw .missingField("\(reader.path).\(field)", example: example) }
            return nil
        }
        if let line = try? reader.optional(field, as: String.self) { return .shell(line) }
        if let argv = try? reader.optional(field, as: [String].self) { return .argv(argv) }
        throw .invalidField("\(reader.path).\(field)", "expected a string (run by /bin/sh -c) or a list of strings (a program and its arguments); \(example)")
    }

    /// Encodes the spec with the field names ``init(from:)`` reads; defaults are written out.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SpecKey.self)
        try c.encode(id, forKey: SpecKey("id"))
        try encodeCommand(command, into: &c, key: "command")
        try c.encode(resources.description, forKey: SpecKey("resources"))
        try c.encode(environment, forKey: SpecKey("environment"))
        try c.encode(labels, forKey: SpecKey("labels"))
        try c.encode(instances, forKey: SpecKey("instances"))
        try c.encode(ports, forKey: SpecKey("ports"))
        try c.encodeIfPresent(healthCheck.map { CheckForm(check: $0, readiness: false) }, forKey: SpecKey("healthCheck"))
        try c.encodeIfPresent(readinessCheck.map { CheckForm(check: $0, readiness: true) }, forKey: SpecKey("readinessCheck"))
        try c.encode(backoff.seconds, forKey: SpecKey("backoffSeconds"))
        try c.encode(backoffFactor, forKey: SpecKey("backoffFactor"))
        try c.encode(maxLaunchDelay.seconds, forKey: SpecKey("maxLaunchDelaySeconds"))
        var strategy = c.nestedContainer(keyedBy: SpecKey.self, forKey: SpecKey("upgradeStrategy"))
        try strategy.encode(upgradeStrategy.minimumHealthCapacity, forKey: SpecKey("minimumHealthCapacity"))
        try strategy.encode(upgradeStrategy.maximumOverCapacity, forKey: SpecKey("maximumOverCapacity"))
        try c.encode(constraints, forKey: SpecKey("constraints"))
        try c.encode(killSelection.rawValue, forKey: SpecKey("killSelection"))
        try c.encodeIfPresent(killGracePeriod?.seconds, forKey: SpecKey("killGracePeriodSeconds"))
    }
}

private func encodeCommand(_ command: Command, into c: inout KeyedEncodingContainer<SpecKey>, key: String) throws {
    switch command {
    case .shell(let line): try c.encode(line, forKey: SpecKey(key))
    case .argv(let argv): try c.encode(argv, forKey: SpecKey(key))
    }
}

extension ServiceCheck {
    static let healthFields = [
        "protocol", "portName", "portIndex", "path", "command", "delaySeconds", "intervalSeconds", "timeoutSeconds",
        "gracePeriodSeconds", "maxConsecutiveFailures",
    ]
    static let readinessFields = ["protocol", "portName", "portIndex", "path", "command", "delaySeconds", "intervalSeconds", "timeoutSeconds"]

    /// Reads a check; `ports` are the service's port names (a `portIndex` becomes the name).
    init(reader: ServiceReader, ports: [String], readiness: Bool) throws(ServiceSpecError) {
        try reader.rejectUnknownKeys(readiness ? Self.readinessFields : Self.healthFields)
        let command = try ServiceSpec.readCommand(reader, field: "command", required: false)
        let protocolName = try reader.optional("protocol", as: String.self) ?? (command == nil ? "HTTP" : "COMMAND")
        let kind = try ServiceReader.parseName(protocolName, field: "\(reader.path).protocol", as: ProtocolName.self)
        var portName = try reader.optional("portName", as: String.self)
        if let index = try reader.optional("portIndex", as: Int.self) {
            if portName != nil {
                throw .invalidField("\(reader.path).portIndex", "give portName or portIndex, not both")
            }
            guard ports.indices.contains(index) else {
                throw .invalidField("\(reader.path).portIndex", "\(index) is not the index of one of the service's \(ports.count) port(s)")
            }
            portName = ports[index]
        }
        let probe: Probe
        switch kind {
        case .http: probe = .http(portName: portName, path: try reader.optional("path") ?? "/")
        case .tcp: probe = .tcp(portName: portName)
        case .command:
            guard let command else {
                throw .missingField("\(reader.path).command", example: "command: curl -fs localhost:$PORT0/health")
            }
            probe = .command(command)
        }
        if kind != .http, reader.has("path") {
            throw .invalidField("\(reader.path).path", "only an HTTP check has a path")
        }
        if kind == .command, portName != nil {
            throw .invalidField("\(reader.path).portName", "a COMMAND check probes no port")
        }
        if kind != .command, command != nil {
            throw .invalidField("\(reader.path).command", "only a COMMAND check runs a command; set protocol: COMMAND")
        }
        let defaults = readiness ? ServiceCheck.readiness(probe) : ServiceCheck.health(probe)
        self = defaults
        delay = try reader.seconds("delaySeconds") ?? defaults.delay
        interval = try reader.seconds("intervalSeconds") ?? defaults.interval
        timeout = try reader.seconds("timeoutSeconds") ?? defaults.timeout
        if !readiness {
            gracePeriod = try reader.seconds("gracePeriodSeconds") ?? defaults.gracePeriod
            maxConsecutiveFailures = try reader.optional("maxConsecutiveFailures") ?? defaults.maxConsecutiveFailures
        }
    }

    /// The names `protocol` accepts (Marathon's, case-insensitive; `MESOS_HTTP` and `MESOS_TCP`
    /// are not separate: every check here runs on the agent, as Marathon's `MESOS_*` ones do).
    enum ProtocolName: String, CaseIterable {
        case http = "HTTP"
        case tcp = "TCP"
        case command = "COMMAND"
    }
}

/// The encoded form of a check: the fields ``ServiceCheck/init(reader:ports:readiness:)`` reads.
private struct CheckForm: Encodable {
    var check: ServiceCheck
    var readiness: Bool

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SpecKey.self)
        switch check.probe {
        case .http(let port, let path):
            try c.encode("HTTP", forKey: SpecKey("protocol"))
            try c.encodeIfPresent(port, forKey: SpecKey("portName"))
            try c.encode(path, forKey: SpecKey("path"))
        case .tcp(let port):
            try c.encode("TCP", forKey: SpecKey("protocol"))
            try c.encodeIfPresent(port, forKey: SpecKey("portName"))
        case .command(let command):
            try c.encode("COMMAND", forKey: SpecKey("protocol"))
            try encodeCommand(command, into: &c, key: "command")
        }
        try c.encode(check.delay.seconds, forKey: SpecKey("delaySeconds"))
        try c.encode(check.interval.seconds, forKey: SpecKey("intervalSeconds"))
        try c.encode(check.timeout.seconds, forKey: SpecKey("timeoutSeconds"))
        if !readiness {
            try c.encode(check.gracePeriod.seconds, forKey: SpecKey("gracePeriodSeconds"))
            try c.encode(check.maxConsecutiveFailures, forKey: SpecKey("maxConsecutiveFailures"))
        }
    }
}

extension ServiceSpec {
    /// The formats a service file may be written in.
    public enum Format: String, Sendable, CaseIterable {
        /// JSON.
        case json
        /// YAML (1.1).
        case yaml
    }

    /// Decodes and validates a spec from `text` in `format`.
    /// - Throws: ``ServiceSpecError``: `unreadable` for bad JSON or YAML syntax, otherwise the
    ///   first problem of ``init(from:)`` or ``validate()``, naming the field.
    public static func decode(_ text: String, format: Format) throws(ServiceSpecError) -> ServiceSpec {
        let spec: ServiceSpec
        do {
            switch format {
            case .json: spec = try JSONDecoder().decode(ServiceSpec.self, from: Data(text.utf8))
            case .yaml: spec = try YAMLDecoder().decode(ServiceSpec.self, from: text)
            }
        } catch {
            // Yams wraps errors thrown while decoding in a DecodingError; ours name the field.
            if let specError = ServiceReader.specError(in: error) { throw specError }
            throw ServiceSpecError(.unreadable, "the service spec is not valid \(format == .json ? "JSON" : "YAML"): \(ServiceReader.syntaxProblem(error))")
        }
        try spec.validate()
        return spec
    }

    /// Reads, decodes and validates the service file at `path`: JSON when it ends in `.json`,
    /// otherwise YAML (which also accepts JSON).
    /// - Throws: ``ServiceSpecError``: `unreadable` when the file cannot be read or parsed,
    ///   otherwise the spec's first problem, naming the field.
    public init(contentsOf path: String) throws(ServiceSpecError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ServiceSpecError(.unreadable, "cannot read the service file \(path): \(error)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ServiceSpecError(.unreadable, "the service file \(path) is not UTF-8 text")
        }
        self = try Self.decode(text, format: path.lowercased().hasSuffix(".json") ? .json : .yaml)
    }
}
