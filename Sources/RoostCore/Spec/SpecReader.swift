/// An error type a framework's spec decoding reports through ``SpecReader``: each framework
/// keeps its own error type (`BatchSpecError`, `ServiceSpecError`) and says how the reader's
/// three problems become one of its values.
public protocol SpecReadingError: Error {
    /// A field holds a value of the wrong type or out of range; `message` says what was expected.
    static func invalidField(_ field: String, _ message: String) -> Self
    /// A required field is absent; `example` shows a valid value.
    static func missingField(_ field: String, example: String) -> Self
    /// The object has a field the spec does not define; `message` names it and the nearest known one.
    static func unknownField(_ message: String) -> Self
}

/// Any string key, so a decoder can list every key a spec object has (to reject unknown ones).
public struct SpecKey: CodingKey, Hashable, Sendable {
    /// The key's name.
    public var stringValue: String
    /// Always `nil`: spec keys are names.
    public var intValue: Int? { nil }
    /// The key `name`.
    public init(_ name: String) { stringValue = name }
    /// The key `stringValue`.
    public init?(stringValue: String) { self.stringValue = stringValue }
    /// Never: spec keys are names.
    public init?(intValue: Int) { nil }
}

/// Reads one object of a framework's spec file (JSON or YAML through `Decodable`), turning
/// every decoding problem into the framework's error that names the field
/// (`job.completions`, `service.healthChecks[1].protocol`) and rejecting unknown fields with
/// a "did you mean".
public struct SpecReader<Failure: SpecReadingError> {
    /// The object's fields.
    public let container: KeyedDecodingContainer<SpecKey>
    /// Where the object is: `job`, `job.constraints[0]`.
    public let path: String
    /// What the whole spec is, for unknown-field messages: `job 'nightly'`; `nil` while not known.
    public let subject: String?

    /// A reader of the object `decoder` holds at `path`.
    /// - Throws: `Failure.invalidField` when `decoder` holds no object.
    public init(_ decoder: any Decoder, path: String, subject: String?) throws(Failure) {
        do {
            container = try decoder.container(keyedBy: SpecKey.self)
        } catch {
            throw Failure.invalidField(path, "expected an object of fields, such as {name: x, command: y}")
        }
        self.path = path
        self.subject = subject
    }

    /// Rejects keys not in `known`, suggesting the closest known name.
    public func rejectUnknownKeys(_ known: [String]) throws(Failure) {
        let root = path.prefix { $0 != "." && $0 != "[" }
        for key in container.allKeys.map(\.stringValue).sorted() where !known.contains(key) {
            var location = subject.map { "in \($0)" } ?? "in the \(root)"
            if path != root { location += " at \(path)" }
            var message = "unknown field '\(key)' \(location)"
            if let near = closestName(to: key, among: known) {
                message += " (did you mean '\(near)'?)"
            } else {
                message += "; known fields: \(known.joined(separator: ", "))"
            }
            throw Failure.unknownField(message)
        }
    }

    /// Whether the object has `key`.
    public func has(_ key: String) -> Bool { container.contains(SpecKey(key)) }

    /// The value of `key`, `nil` when absent or null.
    /// - Throws: `Failure.invalidField` when it is not a `T`.
    public func optional<T: Decodable>(_ key: String, as type: T.Type = T.self) throws(Failure) -> T? {
        let codingKey = SpecKey(key)
        do {
            guard container.contains(codingKey), try !container.decodeNil(forKey: codingKey) else { return nil }
            return try container.decode(T.self, forKey: codingKey)
        } catch let error as Failure {
            throw error
        } catch {
            throw Failure.invalidField("\(path).\(key)", "expected \(Self.describe(T.self))\(Self.detail(error))")
        }
    }

    /// The value of `key`.
    /// - Throws: `Failure.missingField` (with `example`) when absent; `Failure.invalidField`
    ///   when it is not a `T`.
    public func required<T: Decodable>(_ key: String, as type: T.Type = T.self, example: String) throws(Failure) -> T {
        guard let value = try optional(key, as: T.self) else {
            throw Failure.missingField("\(path).\(key)", example: example)
        }
        return value
    }

    /// A duration given as a number of seconds (`activeDeadlineSeconds: 600`).
    public func seconds(_ key: String) throws(Failure) -> Duration? {
        guard let value = try optional(key, as: Double.self) else { return nil }
        do {
            return try Duration.validatedSeconds(value, field: "\(path).\(key)")
        } catch {
            throw Failure.invalidField("\(path).\(key)", error.message)
        }
    }

    /// A nested object (or list) decoded by `read`, given its decoder and path.
    public func nested<T>(_ key: String, _ read: (any Decoder, String) throws -> T) throws -> T? {
        guard has(key) else { return nil }
        let decoder = try container.superDecoder(forKey: SpecKey(key))
        return try read(decoder, "\(path).\(key)")
    }

    /// A list of objects under `key`, each read by `make` with a reader whose errors name `key[i]`.
    public func list<T>(_ key: String, _ make: (SpecReader) throws -> T) throws -> [T]? {
        try nested(key) { decoder, path in
            var items: any UnkeyedDecodingContainer
            do { items = try decoder.unkeyedContainer() } catch {
                throw Failure.invalidField(path, "expected a list")
            }
            var list: [T] = []
            while !items.isAtEnd {
                let element = try items.superDecoder()
                list.append(try make(SpecReader(element, path: "\(path)[\(list.count)]", subject: subject)))
            }
            return list
        }
    }

    /// Parses an enumeration's name leniently: case, `-` and `_` do not matter, so Kubernetes'
    /// `FailJob`, Marathon's `GROUP_BY` and the spec's `failJob` and `groupBy` are all accepted.
    /// - Throws: `Failure.invalidField` listing the accepted names.
    public static func parseName<T: RawRepresentable<String> & CaseIterable>(_ text: String, field: String, as type: T.Type) throws(Failure) -> T {
        func folded(_ s: String) -> String { s.lowercased().filter { $0 != "-" && $0 != "_" } }
        if let match = T.allCases.first(where: { folded($0.rawValue) == folded(text) }) { return match }
        throw Failure.invalidField(field, "'\(text)' is not one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is Int32.Type: "a whole number"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        case is String.Type: "a string"
        case is [String].Type: "a list of strings"
        case is [String: String].Type: "a map of names to strings"
        case is [Int32].Type, is [Int].Type: "a list of whole numbers"
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

extension SpecReader {
    /// The framework's error inside `error`, if decoding threw one: JSON and YAML decoders
    /// wrap errors thrown while decoding in a `DecodingError`, and ours name the field.
    public static func specError(in error: any Error) -> Failure? {
        if let failure = error as? Failure { return failure }
        if case DecodingError.dataCorrupted(let context) = error, let underlying = context.underlyingError {
            return specError(in: underlying)
        }
        return nil
    }

    /// What the parser said about a file that is not valid JSON or YAML.
    public static func syntaxProblem(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            if let underlying = context.underlyingError { return "\(underlying)" }
            return context.debugDescription
        }
        return "\(error)"
    }
}
