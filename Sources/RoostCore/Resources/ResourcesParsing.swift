// The text form of resources (Mesos' `cpus:2;mem:1024;ports:[31000-32000]`) and
// the JSON array form of `Resources`. The grammar is documented on `Resources`.

extension Resources {
    /// Creates resources from the Mesos text form, such as `cpus:2;mem:1024;ports:[31000-32000];disk(web):10`.
    ///
    /// See the type's documentation for the grammar. Repeated entries with the
    /// same name, role and reservation add up.
    /// - Throws: ``InputError`` with field `resources` whose message quotes the
    ///   bad entry and says what was expected, e.g. `'mem:abc': 'abc' is not a number; …`,
    ///   `'cpus:-1': amounts must not be negative`, `'ports:[5-3]': range start 5 is after its end 3`,
    ///   a role error for `'cpus(bad role):1'`, or `'cpus:[1-2]': cpus is both a scalar and ranges …`.
    public init(parsing text: String) throws(InputError) {
        let units = ResourceText.units(text)
        let whole = units[...].trimmed()
        if whole.count == 2, whole[whole.startIndex].is("{"), whole[whole.startIndex + 1].is("}") {
            self.init()
            return
        }
        var list: [Resource] = []
        var kinds: [String: (kind: Resource.Kind, token: String)] = [:]
        for piece in whole.split(onUnescaped: ";") {
            let entry = piece.trimmed()
            if entry.isEmpty { continue }
            let resource: Resource
            do {
                resource = try ResourceText.parseEntry(entry)
            } catch {
                throw InputError(field: "resources", "'\(entry.raw)': \(error.reason)")
            }
            let kind = resource.value.kind
            if let first = kinds[resource.name] {
                if first.kind != kind {
                    throw InputError(
                        field: "resources",
                        "'\(entry.raw)': \(resource.name) is both \(first.kind.phrase) and \(kind.phrase) (see '\(first.token)'); a resource name has one kind"
                    )
                }
            } else {
                kinds[resource.name] = (kind, entry.raw)
            }
            list.append(resource)
        }
        _ = Resources.canonicalize(&list)
        self.init(canonical: list)
    }

    /// The Mesos text form in canonical order, e.g. `cpus:2;mem:1024;ports:[31000-32000]`; `{}` when empty.
    ///
    /// Deterministic (sets print sorted) and always accepted by ``init(parsing:)``,
    /// which gives back an equal value.
    public var description: String {
        if entries.isEmpty { return "{}" }
        var text = ""
        for (index, entry) in entries.enumerated() {
            if index > 0 { text += ";" }
            text += entry.description
        }
        return text
    }

    /// Decodes a JSON array of Mesos v1 resource objects, validating each and merging repeats.
    ///
    /// - Throws: `DecodingError` naming the bad field of the bad element (see
    ///   ``Resource/init(from:)``), or naming the resource when one name is used with two kinds.
    public init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        var list: [Resource] = []
        if let count = container.count { list.reserveCapacity(count) }
        while !container.isAtEnd {
            list.append(try container.decode(Resource.self))
        }
        if let conflict = Resources.canonicalize(&list) {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(
                    codingPath: decoder.codingPath,
                    debugDescription:
                        "resources: \(conflict.name) is both \(conflict.kinds.0.phrase) and \(conflict.kinds.1.phrase); a resource name has one kind"
                ))
        }
        self.init(canonical: list)
    }

    /// Encodes a JSON array of Mesos v1 resource objects in canonical order.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        for entry in entries { try container.encode(entry) }
    }
}

extension Resource {
    /// The text form of this one entry: `cpus:2`, `ports(web):[1-2]`, `cpus(web,dynamic,principal=ops):1`.
    public var description: String {
        var text = name
        if !role.isDefault || reservation != nil {
            text += "("
            text += ResourceText.escaped(role.name)
            if let reservation {
                text += ",dynamic"
                if let principal = reservation.principal {
                    text += ",principal="
                    text += ResourceText.escaped(principal)
                }
                if !reservation.labels.isEmpty {
                    text += ",labels={"
                    for (index, label) in reservation.labels.sorted(by: { $0.key < $1.key }).enumerated() {
                        if index > 0 { text += "," }
                        text += ResourceText.escaped(label.key)
                        text += "="
                        text += ResourceText.escaped(label.value)
                    }
                    text += "}"
                }
            }
            text += ")"
        }
        text += ":"
        switch value {
        case .scalar(let scalar):
            text += scalar.description
        case .ranges(let ranges):
            text += ranges.description
        case .set(let items):
            text += "{"
            for (index, item) in items.sorted().enumerated() {
                if index > 0 { text += "," }
                text += ResourceText.escaped(item)
            }
            text += "}"
        }
        return text
    }
}

/// The scanner behind the resource text form.
enum ResourceText {
    /// One unicode scalar of the text, and whether a backslash escaped it (an escaped
    /// scalar is never structural and is never trimmed as whitespace).
    struct Unit: Sendable {
        var scalar: Unicode.Scalar
        var escaped: Bool

        /// Whether this is the unescaped structural character `character`.
        @inline(__always)
        func `is`(_ character: Unicode.Scalar) -> Bool { !escaped && scalar == character }

        var isTrimmable: Bool { !escaped && scalar.properties.isWhitespace }
    }

    /// Characters that `escaped(_:)` puts a backslash before.
    static func isStructural(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "\\", ";", ",", ":", "(", ")", "[", "]", "{", "}", "=": return true
        default: return false
        }
    }

    /// Splits `text` into units, resolving backslash escapes; a lone trailing backslash stands for itself.
    static func units(_ text: String) -> [Unit] {
        var units: [Unit] = []
        units.reserveCapacity(text.utf8.count)
        var pendingEscape = false
        for scalar in text.unicodeScalars {
            if pendingEscape {
                units.append(Unit(scalar: scalar, escaped: true))
                pendingEscape = false
            } else if scalar == "\\" {
                pendingEscape = true
            } else {
                units.append(Unit(scalar: scalar, escaped: false))
            }
        }
        if pendingEscape { units.append(Unit(scalar: "\\", escaped: false)) }
        return units
    }

    /// `text` with structural characters, and whitespace at either end, escaped by a backslash.
    static func escaped(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.first, let last = scalars.last else { return text }
        if !first.properties.isWhitespace, !last.properties.isWhitespace, !scalars.contains(where: isStructural) {
            return text
        }
        var result = String.UnicodeScalarView()
        let lastIndex = scalars.index(before: scalars.endIndex)
        var index = scalars.startIndex
        while index < scalars.endIndex {
            let scalar = scalars[index]
            let atEdge = index == scalars.startIndex || index == lastIndex
            if isStructural(scalar) || (atEdge && scalar.properties.isWhitespace) { result.append("\\") }
            result.append(scalar)
            index = scalars.index(after: index)
        }
        return String(result)
    }

    /// Reads one entry, `name:value` or `name(role[,reservation]):value`, already trimmed and non-empty.
    static func parseEntry(_ entry: ArraySlice<Unit>) throws(ResourceParseFailure) -> Resource {
        guard let nameEnd = entry.firstIndex(where: { $0.is("(") || $0.is(":") }) else {
            throw ResourceParseFailure("expected 'name:value' or 'name(role):value'")
        }
        let name = entry[..<nameEnd].trimmed().text
        do { try Resource.checkName(name) } catch { throw ResourceParseFailure(error.description) }
        var role = Role.any
        var reservation: Reservation?
        var colon = nameEnd
        if entry[nameEnd].is("(") {
            guard let close = entry[(nameEnd + 1)...].firstIndex(where: { $0.is(")") }) else {
                throw ResourceParseFailure("missing ')' after the role")
            }
            (role, reservation) = try parseRole(entry[(nameEnd + 1)..<close])
            let rest = entry[(close + 1)...].trimmed()
            guard let next = rest.first, next.is(":") else {
                throw ResourceParseFailure("expected ':' and a value after ')'")
            }
            colon = rest.startIndex
        }
        let valueUnits = entry[(colon + 1)...].trimmed()
        guard !valueUnits.isEmpty else {
            throw ResourceParseFailure("missing a value after ':'; expected a number, [ranges] or {set}")
        }
        let value = try parseValue(valueUnits)
        do {
            return try Resource(name: name, value: value, role: role, reservation: reservation)
        } catch {
            throw ResourceParseFailure(error.description)
        }
    }

    /// Reads a scalar, `[ranges]` or `{set}`.
    static func parseValue(_ units: ArraySlice<Unit>) throws(ResourceParseFailure) -> Resource.Value {
        let first = units[units.startIndex]
        if first.is("[") {
            guard units.count >= 2, units[units.endIndex - 1].is("]") else {
                throw ResourceParseFailure("'\(units.raw)' has no closing ']'; expected ranges like [31000-32000,33000]")
            }
            return .ranges(try ValueRanges.parse(contents: units.dropFirst().dropLast()))
        }
        if first.is("{") {
            guard units.count >= 2, units[units.endIndex - 1].is("}") else {
                throw ResourceParseFailure("'\(units.raw)' has no closing '}'; expected a set like {a,b}")
            }
            let inner = units.dropFirst().dropLast().trimmed()
            if inner.isEmpty { return .set([]) }
            var items = Set<String>()
            for piece in inner.split(onUnescaped: ",") {
                let item = piece.trimmed()
                guard !item.isEmpty else {
                    throw ResourceParseFailure("'\(units.raw)' has an empty item; expected a set like {a,b}")
                }
                items.insert(item.text)
            }
            return .set(items)
        }
        let raw = units.raw
        switch Scalar.parse(Substring(raw)) {
        case .success(let scalar): return .scalar(scalar)
        case .failure(let failure): throw failure
        }
    }

    /// Reads the inside of `(...)`: a role, then optionally `dynamic`, `principal=…` and `labels={…}`.
    static func parseRole(_ spec: ArraySlice<Unit>) throws(ResourceParseFailure) -> (Role, Reservation?) {
        let parts = spec.split(onUnescaped: ",", outsideBraces: true)
        let role: Role
        do { role = try Role(parts[0].trimmed().text) } catch { throw ResourceParseFailure(error.description) }
        var dynamic = false
        var principal: String?
        var labels: [String: String]?
        for part in parts.dropFirst() {
            let attribute = part.trimmed()
            if attribute.raw == "dynamic" {
                dynamic = true
                continue
            }
            let equals = attribute.firstIndex { $0.is("=") }
            let key = equals.map { attribute[..<$0].trimmed().raw }
            switch (key, equals) {
            case ("principal", let equals?) where principal == nil:
                principal = attribute[(equals + 1)...].trimmed().text
            case ("labels", let equals?) where labels == nil:
                labels = try parseLabels(attribute[(equals + 1)...].trimmed())
            case ("principal", _), ("labels", _):
                throw ResourceParseFailure("'\(key ?? "")' appears twice in '(\(spec.raw))'")
            default:
                throw ResourceParseFailure(
                    "'\(attribute.raw)' is not a reservation attribute; expected 'dynamic', 'principal=…' or 'labels={…}' after the role"
                )
            }
        }
        guard dynamic || principal != nil || labels != nil else { return (role, nil) }
        return (role, Reservation(principal: principal, labels: labels ?? [:]))
    }

    /// Reads `{key=value,…}`.
    static func parseLabels(_ units: ArraySlice<Unit>) throws(ResourceParseFailure) -> [String: String] {
        guard units.count >= 2, units[units.startIndex].is("{"), units[units.endIndex - 1].is("}") else {
            throw ResourceParseFailure("labels '\(units.raw)' must be written {key=value,…}")
        }
        let inner = units.dropFirst().dropLast().trimmed()
        var labels: [String: String] = [:]
        if inner.isEmpty { return labels }
        for piece in inner.split(onUnescaped: ",") {
            let pair = piece.trimmed()
            guard let equals = pair.firstIndex(where: { $0.is("=") }) else {
                throw ResourceParseFailure("label '\(pair.raw)' has no '='; write labels={key=value,…}")
            }
            let key = pair[..<equals].trimmed().text
            guard labels[key] == nil else {
                throw ResourceParseFailure("label '\(key)' appears twice")
            }
            labels[key] = pair[(equals + 1)...].trimmed().text
        }
        return labels
    }
}

extension ArraySlice<ResourceText.Unit> {
    /// Without unescaped whitespace at either end.
    func trimmed() -> ArraySlice<ResourceText.Unit> {
        var slice = self
        while let first = slice.first, first.isTrimmable { slice = slice.dropFirst() }
        while let last = slice.last, last.isTrimmable { slice = slice.dropLast() }
        return slice
    }

    /// The pieces between unescaped `separator`s (ignoring those inside `{…}` when `outsideBraces`).
    func split(onUnescaped separator: Unicode.Scalar, outsideBraces: Bool = false) -> [ArraySlice<ResourceText.Unit>] {
        var pieces: [ArraySlice<ResourceText.Unit>] = []
        var start = startIndex
        var depth = 0
        for index in indices {
            let unit = self[index]
            if outsideBraces {
                if unit.is("{") { depth += 1 } else if unit.is("}"), depth > 0 { depth -= 1 }
            }
            if depth == 0, unit.is(separator) {
                pieces.append(self[start..<index])
                start = index + 1
            }
        }
        pieces.append(self[start..<endIndex])
        return pieces
    }

    /// The text these units stand for, escapes resolved.
    var text: String {
        var scalars = String.UnicodeScalarView()
        for unit in self { scalars.append(unit.scalar) }
        return String(scalars)
    }

    /// The text as written, with a backslash before every escaped unit: for quoting in messages.
    var raw: String {
        var scalars = String.UnicodeScalarView()
        for unit in self {
            if unit.escaped { scalars.append("\\") }
            scalars.append(unit.scalar)
        }
        return String(scalars)
    }
}
