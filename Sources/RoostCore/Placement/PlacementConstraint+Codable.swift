// The JSON/YAML forms of a placement constraint, read through a framework's `SpecReader` so its
// errors are the framework's own, and the checks of its value.

extension PlacementConstraint {
    /// The fields of the object form.
    static let fieldNames = ["attribute", "operator", "value"]

    /// Reads the object form, `{attribute: rack, operator: groupBy, value: 3}`, rejecting
    /// unknown fields. `operator` is the raw value or Marathon's name, in any case, with or
    /// without `_` (``Operator/parse(_:field:as:)``); `value` is a string or a whole number.
    ///
    /// Reads the shape only; call ``validate(field:as:)`` to check the value.
    /// - Throws: `Failure`, naming the field (`job.constraints[0].operator`): missing, unknown,
    ///   or of the wrong type.
    public init<Failure: SpecReadingError>(reader: SpecReader<Failure>) throws(Failure) {
        try reader.rejectUnknownKeys(Self.fieldNames)
        let attribute = try reader.required("attribute", as: String.self, example: "attribute: rack")
        let name = try reader.required("operator", as: String.self, example: "operator: unique")
        let op = try Operator.parse(name, field: "\(reader.path).operator", as: Failure.self)
        self.init(attribute: attribute, operator: op, value: try Self.readValue(reader))
    }

    /// Reads one constraint in any of its forms: the object `{attribute: rack, operator: maxPer,
    /// value: 2}`, Marathon's array `[rack, MAX_PER, "2"]` (or `[hostname, UNIQUE]`), or
    /// Marathon's text `rack:MAX_PER:2`.
    ///
    /// A framework calls it for each element of its spec's constraint list (or uses
    /// ``readList(_:in:)``), with its own error type. Reads the shape only; call
    /// ``validate(field:as:)`` to check the value.
    /// - Parameters:
    ///   - decoder: The decoder holding the constraint.
    ///   - path: Where it is, for messages: `job.constraints[0]`.
    ///   - subject: What the whole spec is, for unknown-field messages: `job 'nightly'`.
    /// - Throws: `Failure`, naming the field or array element that is wrong.
    public static func read<Failure: SpecReadingError>(_ decoder: any Decoder, path: String, subject: String?, as failure: Failure.Type = Failure.self) throws(Failure) -> PlacementConstraint {
        if (try? decoder.container(keyedBy: SpecKey.self)) != nil {
            return try PlacementConstraint(reader: SpecReader<Failure>(decoder, path: path, subject: subject))
        }
        if var items = try? decoder.unkeyedContainer() {
            var parts: [String] = []
            while !items.isAtEnd, parts.count <= 3 {
                let field = "\(path)[\(parts.count)]"
                guard let element = try? items.superDecoder(), let text = scalarText(element) else {
                    throw Failure.invalidField(field, "expected a string, such as [rack, MAX_PER, \"2\"]")
                }
                parts.append(text)
            }
            return try fromParts(parts, path: path, operatorField: "\(path)[1]", as: Failure.self)
        }
        if let text = try? decoder.singleValueContainer().decode(String.self) {
            let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            return try fromParts(parts, path: path, operatorField: path, as: Failure.self)
        }
        throw Failure.invalidField(path, "expected {attribute: rack, operator: maxPer, value: 2}, [rack, MAX_PER, \"2\"] or rack:MAX_PER:2")
    }

    /// Reads the list of constraints under `key` of the object `reader` holds, each element in
    /// any form ``read(_:path:subject:as:)`` accepts; errors name `key[i]`.
    /// - Returns: `nil` when `key` is absent or null.
    /// - Throws: `Failure` when `key` is not a list or an element cannot be read.
    public static func readList<Failure: SpecReadingError>(_ key: String, in reader: SpecReader<Failure>) throws(Failure) -> [PlacementConstraint]? {
        let codingKey = SpecKey(key)
        guard reader.has(key), (try? reader.container.decodeNil(forKey: codingKey)) != true else { return nil }
        let path = "\(reader.path).\(key)"
        var items: any UnkeyedDecodingContainer
        do {
            items = try reader.container.superDecoder(forKey: codingKey).unkeyedContainer()
        } catch {
            throw Failure.invalidField(path, "expected a list of constraints, such as [{attribute: hostname, operator: unique}]")
        }
        var list: [PlacementConstraint] = []
        while !items.isAtEnd {
            let field = "\(path)[\(list.count)]"
            guard let element = try? items.superDecoder() else { throw Failure.invalidField(field, "cannot be read") }
            list.append(try read(element, path: field, subject: reader.subject, as: Failure.self))
        }
        return list
    }

    /// Checks that ``value`` suits the operator and ``attribute`` is not empty, so a bad
    /// constraint is refused before anything runs.
    ///
    /// A framework calls it on each constraint of a spec it validates, with the constraint's
    /// path as `field`.
    /// - Throws: `Failure.invalidField` naming `field.attribute` or `field.value`:
    ///   `job.constraints[1].value: operator 'maxPer' needs a whole number ≥ 1, got 'x'`.
    public func validate<Failure: SpecReadingError>(field: String, as failure: Failure.Type = Failure.self) throws(Failure) {
        if attribute.isEmpty {
            throw Failure.invalidField("\(field).attribute", "must name an agent attribute, such as rack, or hostname")
        }
        let name = "operator '\(self.operator.rawValue)'"
        let valueField = "\(field).value"
        switch self.operator {
        case .unique:
            if let value { throw Failure.invalidField(valueField, "\(name) takes no value, got '\(value)'") }
        case .cluster:
            if value?.isEmpty == true {
                throw Failure.invalidField(valueField, "\(name) needs the value to run on, such as r1, or none to keep every instance with the first")
            }
        case .like, .unlike:
            guard let value else { throw Failure.invalidField(valueField, "\(name) needs a regular expression, such as r[12]") }
            do { _ = try Regex(value) } catch {
                throw Failure.invalidField(valueField, "'\(value)' is not a regular expression: \(error)")
            }
        case .maxPer:
            guard let value else { throw Failure.invalidField(valueField, "\(name) needs a whole number ≥ 1, such as 2") }
            if wholeNumber(value) == nil { throw Failure.invalidField(valueField, "\(name) needs a whole number ≥ 1, got '\(value)'") }
        case .groupBy:
            if let value, wholeNumber(value) == nil {
                throw Failure.invalidField(valueField, "\(name) takes a whole number ≥ 1 (how many values to spread over) or none, got '\(value)'")
            }
        }
    }

    /// A constraint from Marathon's parts, `[attribute, operator]` or `[attribute, operator, value]`.
    private static func fromParts<Failure: SpecReadingError>(_ parts: [String], path: String, operatorField: String, as failure: Failure.Type) throws(Failure) -> PlacementConstraint {
        guard (2...3).contains(parts.count) else {
            throw Failure.invalidField(path, "expected [attribute, OPERATOR] or [attribute, OPERATOR, value], such as [hostname, UNIQUE] or rack:MAX_PER:2")
        }
        let op = try Operator.parse(parts[1], field: operatorField, as: Failure.self)
        return PlacementConstraint(attribute: parts[0], operator: op, value: parts.count == 3 ? parts[2] : nil)
    }

    /// `value` as written: a string or a whole number; `nil` when absent or null.
    private static func readValue<Failure: SpecReadingError>(_ reader: SpecReader<Failure>) throws(Failure) -> String? {
        let key = SpecKey("value")
        guard reader.has("value"), (try? reader.container.decodeNil(forKey: key)) != true else { return nil }
        if let text = try? reader.container.decode(String.self, forKey: key) { return text }
        if let number = try? reader.container.decode(Int.self, forKey: key) { return String(number) }
        throw Failure.invalidField("\(reader.path).value", "expected a string or a whole number, such as value: r1 or value: 2")
    }

    /// The string or whole number `decoder` holds, as text.
    private static func scalarText(_ decoder: any Decoder) -> String? {
        guard let single = try? decoder.singleValueContainer() else { return nil }
        if let text = try? single.decode(String.self) { return text }
        if let number = try? single.decode(Int.self) { return String(number) }
        return nil
    }
}

extension PlacementConstraint.Operator {
    /// Parses an operator's name leniently: the raw value or Marathon's name, in any case, with
    /// or without `-` and `_` (`groupBy`, `GROUP_BY`, `group-by`), and `equals` for
    /// ``cluster``, the name batch specs used before.
    /// - Throws: `Failure.invalidField` naming `field` and listing the operators.
    public static func parse<Failure: SpecReadingError>(_ text: String, field: String, as failure: Failure.Type = Failure.self) throws(Failure) -> Self {
        if text.lowercased().filter({ $0 != "-" && $0 != "_" }) == "equals" { return .cluster }
        return try SpecReader<Failure>.parseName(text, field: field, as: Self.self)
    }
}

extension PlacementConstraint: Codable {
    /// Decodes a constraint in any form ``read(_:path:subject:as:)`` accepts and validates it,
    /// for use outside a framework's spec (an API body, a configuration file).
    /// - Throws: ``InputError`` naming the field, such as `constraints[0].value`.
    public init(from decoder: any Decoder) throws {
        var path = ""
        for key in decoder.codingPath {
            if let index = key.intValue { path += "[\(index)]" } else { path += path.isEmpty ? key.stringValue : ".\(key.stringValue)" }
        }
        if path.isEmpty { path = "constraint" }
        self = try Self.read(decoder, path: path, subject: "a placement constraint", as: InputError.self)
        try validate(field: path, as: InputError.self)
    }

    /// Encodes the object form, `{"attribute": "rack", "operator": "maxPer", "value": "2"}`;
    /// `value` is left out when `nil`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SpecKey.self)
        try c.encode(attribute, forKey: SpecKey("attribute"))
        try c.encode(self.operator.rawValue, forKey: SpecKey("operator"))
        try c.encodeIfPresent(value, forKey: SpecKey("value"))
    }
}

extension InputError: SpecReadingError {
    /// An error about `field`: `field: message`.
    public static func invalidField(_ field: String, _ message: String) -> InputError {
        InputError(field: field, message)
    }

    /// An error about the absent `field`: `field: required; for example …`.
    public static func missingField(_ field: String, example: String) -> InputError {
        InputError(field: field, "required; for example \(example)")
    }

    /// An error about a field the object should not have; `message` names it.
    public static func unknownField(_ message: String) -> InputError {
        InputError(field: "", message)
    }
}
