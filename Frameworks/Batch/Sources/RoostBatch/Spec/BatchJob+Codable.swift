import FoundationEssentials
import RoostCore
import Yams

// The JSON/YAML form of a job spec. Decoding rejects unknown fields and names the field of
// every problem; encoding writes the same field names, so a spec round-trips.

extension BatchJob: Codable {
    static let fieldNames = [
        "name", "command", "resources", "environment", "completions", "parallelism", "completionMode",
        "backoffLimit", "backoffSeconds", "maxBackoffSeconds", "activeDeadlineSeconds", "failureRules",
        "suspend", "constraints", "ttlSecondsAfterFinished", "killGracePeriodSeconds",
    ]

    /// Decodes a spec, checking field names and types (not values: see ``validate()``).
    /// - Throws: ``BatchSpecError`` naming the field: unknown, missing or of the wrong type.
    public init(from decoder: any Decoder) throws {
        let probe = try JobReader(decoder, path: "job", subject: nil)
        let name = try probe.required("name", as: String.self, example: "name: nightly-report")
        let reader = try JobReader(decoder, path: "job", subject: "job '\(name)'")
        try reader.rejectUnknownKeys(Self.fieldNames)
        self.init(name: name, command: try Self.readCommand(reader))
        if let text = try reader.optional("resources", as: String.self) {
            do {
                resources = try Resources(parsing: text)
            } catch {
                throw BatchSpecError.invalid("job.resources", "\(error.message) (for example cpus:0.5;mem:128)")
            }
        }
        environment = try reader.optional("environment") ?? [:]
        completions = try reader.optional("completions") ?? completions
        parallelism = try reader.optional("parallelism") ?? parallelism
        if let mode = try reader.optional("completionMode", as: String.self) {
            completionMode = try parseName(mode, field: "job.completionMode", as: CompletionMode.self)
        }
        backoffLimit = try reader.optional("backoffLimit") ?? backoffLimit
        backoff = try reader.seconds("backoffSeconds") ?? backoff
        maxBackoff = try reader.seconds("maxBackoffSeconds") ?? maxBackoff
        activeDeadline = try reader.seconds("activeDeadlineSeconds")
        failureRules = try reader.list("failureRules", FailureRule.init(reader:)) ?? []
        suspend = try reader.optional("suspend") ?? false
        constraints = try PlacementConstraint.readList("constraints", in: reader) ?? []
        ttlAfterFinished = try reader.seconds("ttlSecondsAfterFinished")
        killGracePeriod = try reader.seconds("killGracePeriodSeconds")
    }

    private static func readCommand(_ reader: JobReader) throws(BatchSpecError) -> Command {
        let example = "command: echo hello, or command: [/bin/echo, hello]"
        guard reader.has("command") else {
            throw BatchSpecError(.missingField, "job.command: required; for example \(example)")
        }
        if let line = try? reader.optional("command", as: String.self) { return .shell(line) }
        if let argv = try? reader.optional("command", as: [String].self) { return .argv(argv) }
        if let command = try? reader.optional("command", as: Command.self) { return command }
        throw BatchSpecError.invalid("job.command", "expected a string (run by /bin/sh -c) or a list of strings (a program and its arguments); \(example)")
    }

    /// Encodes the spec with the field names ``init(from:)`` reads; defaults are written out.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SpecKey.self)
        try c.encode(name, forKey: SpecKey("name"))
        switch command {
        case .shell(let line): try c.encode(line, forKey: SpecKey("command"))
        case .argv(let argv): try c.encode(argv, forKey: SpecKey("command"))
        }
        try c.encode(resources.description, forKey: SpecKey("resources"))
        try c.encode(environment, forKey: SpecKey("environment"))
        try c.encode(completions, forKey: SpecKey("completions"))
        try c.encode(parallelism, forKey: SpecKey("parallelism"))
        try c.encode(completionMode.rawValue, forKey: SpecKey("completionMode"))
        try c.encode(backoffLimit, forKey: SpecKey("backoffLimit"))
        try c.encode(backoff.seconds, forKey: SpecKey("backoffSeconds"))
        try c.encode(maxBackoff.seconds, forKey: SpecKey("maxBackoffSeconds"))
        try c.encodeIfPresent(activeDeadline?.seconds, forKey: SpecKey("activeDeadlineSeconds"))
        try c.encode(failureRules, forKey: SpecKey("failureRules"))
        try c.encode(suspend, forKey: SpecKey("suspend"))
        try c.encode(constraints, forKey: SpecKey("constraints"))
        try c.encodeIfPresent(ttlAfterFinished?.seconds, forKey: SpecKey("ttlSecondsAfterFinished"))
        try c.encodeIfPresent(killGracePeriod?.seconds, forKey: SpecKey("killGracePeriodSeconds"))
    }
}

extension BatchJob {
    /// The formats a job file may be written in.
    public enum Format: String, Sendable, CaseIterable {
        /// JSON.
        case json
        /// YAML (1.1, as Kubernetes manifests).
        case yaml
    }

    /// Decodes and validates a spec from `text` in `format`.
    /// - Throws: ``BatchSpecError``: `unreadable` for bad JSON or YAML syntax, otherwise the
    ///   first problem of ``init(from:)`` or ``validate()``, naming the field.
    public static func decode(_ text: String, format: Format) throws(BatchSpecError) -> BatchJob {
        let job: BatchJob
        do {
            switch format {
            case .json: job = try JSONDecoder().decode(BatchJob.self, from: Data(text.utf8))
            case .yaml: job = try YAMLDecoder().decode(BatchJob.self, from: text)
            }
        } catch {
            // Yams wraps errors thrown while decoding in a DecodingError; ours name the field.
            if let specError = JobReader.specError(in: error) { throw specError }
            throw BatchSpecError(.unreadable, "the job spec is not valid \(format == .json ? "JSON" : "YAML"): \(JobReader.syntaxProblem(error))")
        }
        try job.validate()
        return job
    }

    /// Reads, decodes and validates the job file at `path`: JSON when it ends in `.json`,
    /// otherwise YAML (which also accepts JSON).
    /// - Throws: ``BatchSpecError``: `unreadable` when the file cannot be read or parsed,
    ///   otherwise the spec's first problem, naming the field.
    public init(contentsOf path: String) throws(BatchSpecError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw BatchSpecError(.unreadable, "cannot read the job file \(path): \(error)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw BatchSpecError(.unreadable, "the job file \(path) is not UTF-8 text")
        }
        self = try Self.decode(text, format: path.lowercased().hasSuffix(".json") ? .json : .yaml)
    }
}

extension FailureRule: Codable {
    init(reader: JobReader) throws(BatchSpecError) {
        try reader.rejectUnknownKeys(["action", "onExitCodes"])
        let action = try reader.required("action", as: String.self, example: "action: failJob")
        self.action = try parseName(action, field: "\(reader.path).action", as: Action.self)
        guard reader.has("onExitCodes") else {
            throw BatchSpecError(.missingField, "\(reader.path).onExitCodes: required; for example onExitCodes: {operator: in, values: [42]}")
        }
        let codes: (Operator, [Int32])
        do {
            codes = try reader.nested("onExitCodes") { decoder, path in
                let inner = try JobReader(decoder, path: path, subject: reader.subject)
                try inner.rejectUnknownKeys(["operator", "values"])
                let name = try inner.optional("operator", as: String.self) ?? "in"
                let op = try parseName(name, field: "\(path).operator", as: Operator.self)
                return (op, try inner.required("values", as: [Int32].self, example: "values: [1, 42]"))
            }!
        } catch let error as BatchSpecError {
            throw error
        } catch {
            throw BatchSpecError.invalid("\(reader.path).onExitCodes", "expected {operator: in, values: [42]}")
        }
        self.operator = codes.0
        values = codes.1
    }

    /// Decodes a rule, rejecting unknown fields.
    /// - Throws: ``BatchSpecError`` naming the field.
    public init(from decoder: any Decoder) throws {
        try self.init(reader: JobReader(decoder, path: "failureRule", subject: nil))
    }

    /// Encodes `{"action": …, "onExitCodes": {"operator": …, "values": […]}}`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SpecKey.self)
        try c.encode(action.rawValue, forKey: SpecKey("action"))
        var codes = c.nestedContainer(keyedBy: SpecKey.self, forKey: SpecKey("onExitCodes"))
        try codes.encode(self.operator.rawValue, forKey: SpecKey("operator"))
        try codes.encode(values, forKey: SpecKey("values"))
    }
}

/// Reads one object of a job spec; its errors are ``BatchSpecError``s.
typealias JobReader = SpecReader<BatchSpecError>

/// Parses an enumeration's name leniently (see ``SpecReader/parseName(_:field:as:)``).
func parseName<T: RawRepresentable<String> & CaseIterable>(_ text: String, field: String, as type: T.Type) throws(BatchSpecError) -> T {
    try JobReader.parseName(text, field: field, as: type)
}
