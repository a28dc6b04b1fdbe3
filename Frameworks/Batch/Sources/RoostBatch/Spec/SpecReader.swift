import RoostCore

/// Any string key, so a decoder can list every key a spec object has (to reject unknown ones).
struct SpecKey: CodingKey, Hashable {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// Reads one object of a job spec, turning every decoding problem into a ``BatchSpecError``
/// that names the field (`job.completions`, `job.failureRules[1].action`).
struct SpecReader {
    let container: KeyedDecodingContainer<SpecKey>
    /// Where the object is: `job`, `job.constraints[0]`.
    let path: String
    /// The job's name, for unknown-field messages; `nil` while it is not known.
    let jobName: String?

    init(_ decoder: any Decoder, path: String, jobName: String?) throws {
        do {
            container = try decoder.container(keyedBy: SpecKey.self)
        } catch {
            throw BatchSpecError.invalid(path, "expected an object of fields, such as {name: x, command: y}")
        }
        self.path = path
        self.jobName = jobName
    }

    /// Rejects keys not in `known`, suggesting the closest known name.
    func rejectUnknownKeys(_ known: [String]) throws(BatchSpecError) {
        for key in container.allKeys.map(\.stringValue).sorted() where !known.contains(key) {
            var where_ = jobName.map { "in job '\($0)'" } ?? "in the job"
            if path != "job" { where_ += " at \(path)" }
            var message = "unknown field '\(key)' \(where_)"
            if let near = closestName(to: key, among: known) {
                message += " (did you mean '\(near)'?)"
            } else {
                message += "; known fields: \(known.joined(separator: ", "))"
            }
            throw BatchSpecError(.unknownField, message)
        }
    }

    func has(_ key: String) -> Bool { container.contains(SpecKey(key)) }

    func optional<T: Decodable>(_ key: String, as type: T.Type = T.self) throws(BatchSpecError) -> T? {
        let codingKey = SpecKey(key)
        do {
            guard container.contains(codingKey), try !container.decodeNil(forKey: codingKey) else { return nil }
            return try container.decode(T.self, forKey: codingKey)
        } catch let error as BatchSpecError {
            throw error
        } catch {
            throw BatchSpecError.invalid("\(path).\(key)", "expected \(Self.describe(T.self))\(Self.detail(error))")
        }
    }

    func required<T: Decodable>(_ key: String, as type: T.Type = T.self, example: String) throws(BatchSpecError) -> T {
        guard let value = try optional(key, as: T.self) else {
            throw BatchSpecError(.missingField, "\(path).\(key): required; for example \(example)")
        }
        return value
    }

    /// A duration given as a number of seconds (`activeDeadlineSeconds: 600`).
    func seconds(_ key: String) throws(BatchSpecError) -> Duration? {
        guard let value = try optional(key, as: Double.self) else { return nil }
        do {
            return try Duration.validatedSeconds(value, field: "\(path).\(key)")
        } catch {
            throw BatchSpecError(.invalidValue, error.description)
        }
    }

    /// A nested object (or array of objects) decoded with its own reader, its errors naming its path.
    func nested<T>(_ key: String, _ read: (any Decoder, String) throws -> T) throws -> T? {
        guard has(key) else { return nil }
        let decoder = try container.superDecoder(forKey: SpecKey(key))
        return try read(decoder, "\(path).\(key)")
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is Int32.Type: "a whole number"
        case is Double.Type: "a number of seconds"
        case is Bool.Type: "true or false"
        case is String.Type: "a string"
        case is [String: String].Type: "a map of names to strings"
        case is [Int32].Type: "a list of whole numbers"
        default: "a \(type)"
        }
    }

    private static func detail(_ error: any Error) -> String {
        guard let decoding = error as? DecodingError else { return "" }
        switch decoding {
        case .dataCorrupted(let context):
            return context.debugDescription.isEmpty ? "" : " (\(context.debugDescription))"
        default:
            return ""
        }
    }
}
