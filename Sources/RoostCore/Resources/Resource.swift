/// A dynamic reservation: resources set aside for a role at run time by a RESERVE operation.
///
/// A resource with a role other than `*` and no reservation is *statically*
/// reserved (by the agent's configuration); one with a `Reservation` was
/// reserved dynamically and can be released again by UNRESERVE. Two resources
/// with different reservations are different resources: they never merge and
/// never cover each other.
///
/// JSON: `{"principal":"ops","labels":{"team":"web"}}`; `principal` is left out
/// when `nil`, and a missing `labels` decodes as empty.
public struct Reservation: Hashable, Sendable, Codable {
    /// Who made the reservation, when the master knows it.
    public var principal: String?
    /// Free-form labels attached to the reservation by the framework that made it.
    public var labels: [String: String]

    /// Creates a dynamic reservation made by `principal` with `labels`.
    public init(principal: String? = nil, labels: [String: String] = [:]) {
        self.principal = principal
        self.labels = labels
    }

    private enum CodingKeys: String, CodingKey { case principal, labels }

    /// Decodes `{"principal":"p","labels":{}}`; both fields are optional.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        principal = try container.decodeIfPresent(String.self, forKey: .principal)
        labels = try container.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
    }

    /// Encodes `{"principal":"p","labels":{}}`, leaving out a `nil` principal.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(principal, forKey: .principal)
        try container.encode(labels, forKey: .labels)
    }

    /// A total order used to sort resources: no reservation first, then by principal, then by labels.
    static func order(_ lhs: Reservation?, _ rhs: Reservation?) -> Int {
        switch (lhs, rhs) {
        case (nil, nil): return 0
        case (nil, _): return -1
        case (_, nil): return 1
        case let (lhs?, rhs?):
            if lhs == rhs { return 0 }
            if lhs.principal != rhs.principal {
                guard let left = lhs.principal else { return -1 }
                guard let right = rhs.principal else { return 1 }
                return left < right ? -1 : 1
            }
            let left = lhs.labels.sorted { $0.key < $1.key }
            let right = rhs.labels.sorted { $0.key < $1.key }
            for (l, r) in zip(left, right) where l != r {
                if l.key != r.key { return l.key < r.key ? -1 : 1 }
                return l.value < r.value ? -1 : 1
            }
            return left.count < right.count ? -1 : 1
        }
    }
}

/// One named resource of an agent, offer or task: an amount, ranges or a set, with its role and reservation.
///
/// Usually handled inside ``Resources``, which merges and orders them. The name
/// is validated when the resource is created; the value is always valid
/// (``Scalar`` cannot be negative and ``ValueRanges`` are canonical).
///
/// Text form (``description``): `cpus:2`, `ports(web):[31000-32000]`,
/// `zones:{a,b}`, and for a dynamic reservation
/// `cpus(web,dynamic,principal=ops,labels={team=x}):1`; see ``Resources`` for the grammar.
///
/// JSON, as in the Mesos v1 API:
/// `{"name":"cpus","type":"SCALAR","scalar":{"value":2},"role":"*"}`, with
/// `"reservation":{...}` only when present (see ``Reservation``).
public struct Resource: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The resource's amount: a number, ranges of integers, or a set of strings.
    ///
    /// One name has one kind within a ``Resources``: `cpus` cannot be a scalar
    /// on one entry and ranges on another. JSON (inside a resource object):
    /// `"type":"SCALAR","scalar":{"value":2}`, `"type":"RANGES","ranges":{"range":[…]}`
    /// or `"type":"SET","set":{"item":["a","b"]}`.
    public enum Value: Hashable, Sendable, Codable {
        /// An exact amount, such as CPUs or MB of memory.
        case scalar(Scalar)
        /// Integer ranges, such as ports.
        case ranges(ValueRanges)
        /// Named items, such as zones or GPU IDs. Items are never empty strings.
        case set(Set<String>)

        /// Whether there is nothing: a zero amount, no ranges or no items.
        public var isEmpty: Bool {
            switch self {
            case .scalar(let scalar): return scalar.isZero
            case .ranges(let ranges): return ranges.isEmpty
            case .set(let items): return items.isEmpty
            }
        }

        var kind: Kind {
            switch self {
            case .scalar: return .scalar
            case .ranges: return .ranges
            case .set: return .set
            }
        }

        /// Both values together; only called when the kinds match.
        @inline(__always)
        func adding(_ other: Value) -> Value {
            switch (self, other) {
            case let (.scalar(a), .scalar(b)): return .scalar(a + b)
            case let (.ranges(a), .ranges(b)): return .ranges(a.union(b))
            case let (.set(a), .set(b)): return .set(a.union(b))
            default: preconditionFailure("Resource.Value.adding: \(kind.phrase) and \(other.kind.phrase)")
            }
        }

        /// What is left of this value after taking `other` away; a different kind takes nothing away.
        @inline(__always)
        func subtracting(_ other: Value) -> Value {
            switch (self, other) {
            case let (.scalar(a), .scalar(b)): return .scalar(a.saturatingSubtracting(b))
            case let (.ranges(a), .ranges(b)): return .ranges(a.subtracting(b))
            case let (.set(a), .set(b)): return .set(a.subtracting(b))
            default: return self
            }
        }

        /// Whether this value covers all of `other` (of the same kind).
        @inline(__always)
        func covers(_ other: Value) -> Bool {
            switch (self, other) {
            case let (.scalar(a), .scalar(b)): return a >= b
            case let (.ranges(a), .ranges(b)): return a.contains(b)
            case let (.set(a), .set(b)): return a.isSuperset(of: b)
            default: return false
            }
        }

        private enum CodingKeys: String, CodingKey { case type, scalar, ranges, set }
        private enum ScalarKeys: String, CodingKey { case value }
        private enum SetKeys: String, CodingKey { case item }

        /// Decodes the `type` field and the matching `scalar`, `ranges` or `set` field.
        ///
        /// - Throws: `DecodingError` naming `type` when it is not `SCALAR`, `RANGES` or `SET`,
        ///   the missing field, or `set.item` when an item is empty.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let type = try container.decode(String.self, forKey: .type)
            switch type {
            case Kind.scalar.jsonType:
                let scalar = try container.nestedContainer(keyedBy: ScalarKeys.self, forKey: .scalar)
                self = .scalar(try scalar.decode(Scalar.self, forKey: .value))
            case Kind.ranges.jsonType:
                self = .ranges(try container.decode(ValueRanges.self, forKey: .ranges))
            case Kind.set.jsonType:
                let set = try container.nestedContainer(keyedBy: SetKeys.self, forKey: .set)
                let items = try set.decodeIfPresent([String].self, forKey: .item) ?? []
                if items.contains("") {
                    throw DecodingError.dataCorruptedError(
                        forKey: .item, in: set, debugDescription: "set.item: items must not be empty strings")
                }
                self = .set(Set(items))
            default:
                throw DecodingError.dataCorruptedError(
                    forKey: .type, in: container,
                    debugDescription: "type: '\(type)' is not a resource type; expected SCALAR, RANGES or SET")
            }
        }

        /// Encodes `"type"` and the matching field; set items are sorted so the output is stable.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(kind.jsonType, forKey: .type)
            switch self {
            case .scalar(let scalar):
                var nested = container.nestedContainer(keyedBy: ScalarKeys.self, forKey: .scalar)
                try nested.encode(scalar, forKey: .value)
            case .ranges(let ranges):
                try container.encode(ranges, forKey: .ranges)
            case .set(let items):
                var nested = container.nestedContainer(keyedBy: SetKeys.self, forKey: .set)
                try nested.encode(items.sorted(), forKey: .item)
            }
        }
    }

    /// The three kinds of value, for messages and JSON.
    enum Kind: Sendable {
        case scalar, ranges, set

        /// `a scalar`, `ranges`, `a set`: for "cpus is both a scalar and ranges".
        var phrase: String {
            switch self {
            case .scalar: return "a scalar"
            case .ranges: return "ranges"
            case .set: return "a set"
            }
        }

        var jsonType: String {
            switch self {
            case .scalar: return "SCALAR"
            case .ranges: return "RANGES"
            case .set: return "SET"
            }
        }
    }

    /// The resource's name, such as `cpus`, `mem`, `disk`, `ports` or `gpus`.
    public let name: String
    /// How much: an amount, ranges or a set.
    public var value: Value
    /// The role the resource is reserved for; `*` (``Role/any``) means unreserved.
    public let role: Role
    /// The dynamic reservation, or `nil` for unreserved and statically reserved resources.
    public let reservation: Reservation?

    /// Whether the resource is reserved for a role, statically or dynamically.
    public var isReserved: Bool { !role.isDefault }

    /// Whether the resource was reserved by a RESERVE operation rather than by agent configuration.
    public var isDynamicallyReserved: Bool { reservation != nil }

    /// Creates a resource from untrusted parts.
    ///
    /// - Throws: ``InputError`` with field `resource name` when `name` is empty
    ///   or has characters other than ASCII letters, digits, `_`, `-` and `.`; field
    ///   `set` when a set item is empty; field `reservation` when a reservation is
    ///   given for role `*` (only a named role can hold a dynamic reservation).
    public init(name: String, value: Value, role: Role = .any, reservation: Reservation? = nil) throws(InputError) {
        try Resource.checkName(name)
        if case .set(let items) = value, items.contains("") {
            throw InputError(field: "set", "items of '\(name)' must not be empty strings")
        }
        if reservation != nil, role.isDefault {
            throw InputError(
                field: "reservation", "'\(name)' has a dynamic reservation but role '*'; reserve it for a named role")
        }
        self.init(unchecked: name, value: value, role: role, reservation: reservation)
    }

    @inline(__always)
    init(unchecked name: String, value: Value, role: Role, reservation: Reservation?) {
        self.name = name
        self.value = value
        self.role = role
        self.reservation = reservation
    }

    static func checkName(_ name: String) throws(InputError) {
        guard !name.isEmpty else {
            throw InputError(field: "resource name", "must not be empty; use a name such as cpus, mem or ports")
        }
        for byte in name.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "."):
                continue
            default:
                throw InputError(
                    field: "resource name", "'\(name)' may only contain ASCII letters, digits, '_', '-' and '.'")
            }
        }
    }

    /// Orders resources by name, then role, then reservation: -1, 0 or 1. Equal means "same entry".
    @inline(__always)
    static func order(_ lhs: Resource, _ rhs: Resource) -> Int {
        if lhs.name != rhs.name { return lhs.name < rhs.name ? -1 : 1 }
        return orderSameName(lhs, rhs)
    }

    /// `order(_:_:)` for two resources already known to have the same name.
    @inline(__always)
    static func orderSameName(_ lhs: Resource, _ rhs: Resource) -> Int {
        if lhs.role.name != rhs.role.name { return lhs.role.name < rhs.role.name ? -1 : 1 }
        if lhs.reservation == nil, rhs.reservation == nil { return 0 }
        return Reservation.order(lhs.reservation, rhs.reservation)
    }

    private enum CodingKeys: String, CodingKey { case name, role, reservation }

    /// Decodes a Mesos v1 resource object; a missing `role` means `*`.
    ///
    /// - Throws: `DecodingError` naming the field: a bad `name`, `role` or `type`,
    ///   a missing `scalar`/`ranges`/`set`, a negative or NaN `scalar.value`, or a
    ///   `reservation` on role `*`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let name = try container.decode(String.self, forKey: .name)
        do { try Resource.checkName(name) } catch {
            throw DecodingError.dataCorruptedError(forKey: .name, in: container, debugDescription: "\(error)")
        }
        let value = try Value(from: decoder)
        let role = try container.decodeIfPresent(Role.self, forKey: .role) ?? .any
        let reservation = try container.decodeIfPresent(Reservation.self, forKey: .reservation)
        do {
            try self.init(name: name, value: value, role: role, reservation: reservation)
        } catch {
            let key: CodingKeys = error.field == "reservation" ? .reservation : .name
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "\(error)")
        }
    }

    /// Encodes a Mesos v1 resource object: `name`, `type`, the value field, `role`, and `reservation` if any.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try value.encode(to: encoder)
        try container.encode(role, forKey: .role)
        try container.encodeIfPresent(reservation, forKey: .reservation)
    }
}
