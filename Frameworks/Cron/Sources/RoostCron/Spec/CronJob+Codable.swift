import Foundation
public import RoostBatch
import RoostCore
import Yams

// The JSON/YAML form of a cron job. Decoding rejects unknown fields and names the field of every
// problem; encoding writes the same names, so a spec round-trips.

extension CronJob: Codable {
    static let fieldNames = [
        "name", "schedule", "timeZone", "jobTemplate", "concurrencyPolicy", "startingDeadlineSeconds",
        "successfulJobsHistoryLimit", "failedJobsHistoryLimit", "suspend",
    ]

    /// Decodes and validates a cron job.
    /// - Throws: ``CronSpecError`` naming the field: unknown, missing, of the wrong type or value.
    public init(from decoder: any Decoder) throws {
        let c: KeyedDecodingContainer<SpecKey>
        do { c = try decoder.container(keyedBy: SpecKey.self) } catch {
            throw CronSpecError.invalid("cronJob", "expected an object of fields, such as {name: x, schedule: \"0 * * * *\", jobTemplate: {command: y}}")
        }
        let name = try Self.field(c, "name", String.self) ?? ""
        let subject = name.isEmpty ? "the cron job" : "cron job '\(name)'"
        for key in c.allKeys.map(\.stringValue).sorted() where !Self.fieldNames.contains(key) {
            var message = "unknown field '\(key)' in \(subject)"
            if let near = closestName(to: key, among: Self.fieldNames) {
                message += " (did you mean '\(near)'?)"
            } else {
                message += "; known fields: \(Self.fieldNames.joined(separator: ", "))"
            }
            throw CronSpecError(.unknownField, message)
        }
        guard !name.isEmpty else { throw CronSpecError(.missingField, "cronJob.name: required; for example name: nightly-report") }
        guard let expression = try Self.field(c, "schedule", String.self) else {
            throw CronSpecError(.missingField, "\(subject): schedule: required; for example schedule: \"30 2 * * *\"")
        }
        let zone = try Self.field(c, "timeZone", String.self) ?? "UTC"
        let schedule: CronSchedule
        do {
            schedule = try CronSchedule(parsing: expression, timeZone: zone)
        } catch {
            throw CronSpecError.invalid(error.code == .unknownTimeZone ? "cronJob.timeZone" : "cronJob.schedule", error.message)
        }
        guard c.contains(SpecKey("jobTemplate")) else {
            throw CronSpecError(.missingField, "\(subject): jobTemplate: required; for example jobTemplate: {command: echo hello}")
        }
        let template = try Self.template(try c.superDecoder(forKey: SpecKey("jobTemplate")), name: name)
        var policy = ConcurrencyPolicy.allow
        if let text = try Self.field(c, "concurrencyPolicy", String.self) {
            guard let match = ConcurrencyPolicy.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() }) else {
                throw CronSpecError.invalid("cronJob.concurrencyPolicy", "'\(text)' is not one of Allow, Forbid, Replace")
            }
            policy = match
        }
        var deadline: Duration?
        if let seconds = try Self.field(c, "startingDeadlineSeconds", Double.self) {
            do { deadline = try Duration.validatedSeconds(seconds, field: "cronJob.startingDeadlineSeconds") } catch {
                throw CronSpecError(.invalidValue, error.description)
            }
        }
        self.init(
            name: name, schedule: schedule, jobTemplate: template, concurrencyPolicy: policy, startingDeadline: deadline,
            successfulJobsHistoryLimit: try Self.field(c, "successfulJobsHistoryLimit", Int.self) ?? 3,
            failedJobsHistoryLimit: try Self.field(c, "failedJobsHistoryLimit", Int.self) ?? 1,
            suspend: try Self.field(c, "suspend", Bool.self) ?? false)
        try validate()
    }

    /// Encodes the spec with the field names ``init(from:)`` reads; defaults are written out.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SpecKey.self)
        try c.encode(name, forKey: SpecKey("name"))
        try c.encode(schedule.expression.description, forKey: SpecKey("schedule"))
        try c.encode(schedule.timeZone.identifier, forKey: SpecKey("timeZone"))
        // The template without its name (the run's name replaces it).
        let data = try JSONEncoder().encode(jobTemplate)
        guard case .object(var fields) = try JSONDecoder().decode(SpecValue.self, from: data) else {
            throw EncodingError.invalidValue(jobTemplate, .init(codingPath: c.codingPath, debugDescription: "a job template encodes as an object"))
        }
        fields["name"] = nil
        try c.encode(SpecValue.object(fields), forKey: SpecKey("jobTemplate"))
        try c.encode(concurrencyPolicy.rawValue, forKey: SpecKey("concurrencyPolicy"))
        try c.encodeIfPresent(startingDeadline?.seconds, forKey: SpecKey("startingDeadlineSeconds"))
        try c.encode(successfulJobsHistoryLimit, forKey: SpecKey("successfulJobsHistoryLimit"))
        try c.encode(failedJobsHistoryLimit, forKey: SpecKey("failedJobsHistoryLimit"))
        try c.encode(suspend, forKey: SpecKey("suspend"))
    }

    /// Decodes the template through ``BatchJob``'s own decoder (its messages name the field),
    /// giving it the cron job's name.
    private static func template(_ decoder: any Decoder, name: String) throws(CronSpecError) -> BatchJob {
        let value: SpecValue
        do { value = try SpecValue(from: decoder) } catch {
            throw CronSpecError.invalid("cronJob.jobTemplate", "expected a batch job spec (an object), such as {command: echo hello}")
        }
        guard case .object(var fields) = value else {
            throw CronSpecError.invalid("cronJob.jobTemplate", "expected a batch job spec (an object), such as {command: echo hello}")
        }
        if fields["name"] != nil {
            throw CronSpecError.invalid("cronJob.jobTemplate.name", "not allowed: each run is named <cron job name>-<scheduled Unix time>")
        }
        fields["name"] = .string(name)
        do {
            let json = String(decoding: try JSONEncoder().encode(SpecValue.object(fields)), as: UTF8.self)
            return try BatchJob.decode(json, format: .json)
        } catch let error as BatchSpecError {
            let message = error.message.replacingOccurrences(of: "job.", with: "cronJob.jobTemplate.")
                .replacingOccurrences(of: "in job '\(name)'", with: "in the jobTemplate of cron job '\(name)'")
            throw CronSpecError(error.code == .unknownField ? .unknownField : error.code == .missingField ? .missingField : .invalidValue, message)
        } catch {
            throw CronSpecError.invalid("cronJob.jobTemplate", "\(error)")
        }
    }

    private static func field<T: Decodable>(_ c: KeyedDecodingContainer<SpecKey>, _ key: String, _ type: T.Type) throws(CronSpecError) -> T? {
        let codingKey = SpecKey(key)
        do {
            guard c.contains(codingKey), try !c.decodeNil(forKey: codingKey) else { return nil }
            return try c.decode(T.self, forKey: codingKey)
        } catch {
            let expected = switch type {
            case is Int.Type: "a whole number"
            case is Double.Type: "a number of seconds"
            case is Bool.Type: "true or false"
            default: "a string"
            }
            throw CronSpecError.invalid("cronJob.\(key)", "expected \(expected)")
        }
    }
}

extension CronJob {
    /// Decodes and validates the cron jobs in `text`: a list of cron jobs, or a single one.
    /// - Throws: ``CronSpecError``: `unreadable` for bad syntax, otherwise the first problem,
    ///   naming the list position (`cronJobs[1]: …`) and the field; `invalidValue` when two
    ///   cron jobs have the same name.
    public static func decodeList(_ text: String, format: BatchJob.Format) throws(CronSpecError) -> [CronJob] {
        let value: SpecValue
        do {
            switch format {
            case .json: value = try JSONDecoder().decode(SpecValue.self, from: Data(text.utf8))
            case .yaml: value = try YAMLDecoder().decode(SpecValue.self, from: text)
            }
        } catch {
            throw CronSpecError(.unreadable, "the cron job file is not valid \(format == .json ? "JSON" : "YAML"): \(error)")
        }
        let items: [SpecValue]
        switch value {
        case .array(let list): items = list
        case .object: items = [value]
        default: throw CronSpecError.invalid("cronJobs", "expected a list of cron jobs, or one cron job (an object)")
        }
        var jobs: [CronJob] = []
        for (index, item) in items.enumerated() {
            do {
                let data = try JSONEncoder().encode(item)
                let job = try JSONDecoder().decode(CronJob.self, from: data)
                if jobs.contains(where: { $0.name == job.name }) {
                    throw CronSpecError.invalid("cronJob.name", "'\(job.name)' is used twice; each cron job needs its own name")
                }
                jobs.append(job)
            } catch {
                let inner = SpecReader<CronSpecError>.specError(in: error) ?? CronSpecError.invalid("cronJob", "\(error)")
                throw CronSpecError(inner.code, items.count > 1 || value.isArray ? "cronJobs[\(index)]: \(inner.message)" : inner.message)
            }
        }
        return jobs
    }

    /// Reads, decodes and validates the cron job file at `path` (JSON when it ends in `.json`,
    /// otherwise YAML): a list of cron jobs or a single one.
    /// - Throws: ``CronSpecError``: `unreadable` when the file cannot be read or parsed,
    ///   otherwise the first problem, naming the field.
    public static func load(contentsOf path: String) throws(CronSpecError) -> [CronJob] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw CronSpecError(.unreadable, "cannot read the cron job file \(path): \(error)")
        }
        return try decodeList(String(decoding: data, as: UTF8.self), format: path.lowercased().hasSuffix(".json") ? .json : .yaml)
    }
}

/// A JSON/YAML value of any shape, to carry a job template or a list of cron jobs between decoders.
enum SpecValue: Codable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([SpecValue])
    case object([String: SpecValue])

    var isArray: Bool { if case .array = self { true } else { false } }

    init(from decoder: any Decoder) throws {
        if let c = try? decoder.container(keyedBy: SpecKey.self) {
            var object: [String: SpecValue] = [:]
            for key in c.allKeys { object[key.stringValue] = try c.decode(SpecValue.self, forKey: key) }
            self = .object(object)
            return
        }
        if var c = try? decoder.unkeyedContainer() {
            var array: [SpecValue] = []
            while !c.isAtEnd { array.append(try c.decode(SpecValue.self)) }
            self = .array(array)
            return
        }
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let value = try? c.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? c.decode(Int.self) {
            self = .int(value)
        } else if let value = try? c.decode(Double.self) {
            self = .double(value)
        } else {
            self = .string(try c.decode(String.self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let value): try c.encode(value)
        case .int(let value): try c.encode(value)
        case .double(let value): try c.encode(value)
        case .string(let value): try c.encode(value)
        case .array(let value): try c.encode(value)
        case .object(let value): try c.encode(value)
        }
    }
}
