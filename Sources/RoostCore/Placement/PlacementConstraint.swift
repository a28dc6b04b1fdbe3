/// A rule for where a group of instances (a job's tasks, a service's replicas) may run, by
/// the agents' attributes: Marathon's placement constraints.
///
/// A constraint names an agent attribute, an operator and, for most operators, a value. The
/// attribute ``hostnameAttribute`` (`hostname`) means the agent's host name; any other name is
/// looked up in ``Offer/attributes``. An agent that does not have the attribute passes only
/// ``Operator/unlike``; every other operator rejects it, as in Marathon.
///
/// A framework checks a constraint each time it considers launching one more instance on an
/// offer, with ``check(_:placed:)`` (or ``Swift/Sequence/firstRejection(offer:placed:)`` for
/// all of a group's constraints). `placed` holds, for each of the group's instances already
/// placed (running, or launched earlier in the same offer cycle), the attribute values
/// recorded when it was launched: ``Swift/Sequence/placementValues(in:)``. Recording the values
/// rather than looking the agents up again keeps the check pure, and works after an agent
/// has gone.
///
/// The text form (``description``) is Marathon's: `hostname:UNIQUE`, `rack:GROUP_BY:3`,
/// `rack:LIKE:r[12]`. Specs write it as an object, `{attribute: rack, operator: groupBy,
/// value: 3}`, or as Marathon's array, `[rack, GROUP_BY, "3"]`; see
/// ``read(_:path:subject:as:)``.
public struct PlacementConstraint: Hashable, Sendable, CustomStringConvertible {
    /// How the attribute's value is compared, with Marathon's semantics.
    ///
    /// The raw value is the spec's spelling (`groupBy`); ``marathonName`` is Marathon's
    /// (`GROUP_BY`). Specs accept either, and `equals` for ``cluster`` (the name batch specs
    /// used before the operators were shared).
    public enum Operator: String, Hashable, Sendable, CaseIterable {
        /// No two instances on agents with the same value (`hostname:UNIQUE`: at most one
        /// instance per host). Takes no value.
        case unique
        /// Every instance on agents whose value equals ``PlacementConstraint/value``
        /// (`rack:CLUSTER:r1`). Without a value, every instance on the value of the instances
        /// already placed: the first one placed pins the group.
        case cluster
        /// Instances spread evenly over the attribute's values (`rack:GROUP_BY`): an agent is
        /// accepted only while its value has no more instances than the least-used value.
        /// The optional value is how many distinct values to expect (`rack:GROUP_BY:3`):
        /// until that many have instances, the missing ones count as least used (with none),
        /// so an agent with an already used value waits for one with a new value.
        case groupBy
        /// The value matches ``PlacementConstraint/value`` as a whole regular expression.
        case like
        /// The value does not match ``PlacementConstraint/value`` as a whole regular
        /// expression, or the agent does not have the attribute.
        case unlike
        /// At most ``PlacementConstraint/value`` (a whole number ≥ 1) instances per value of
        /// the attribute (`rack:MAX_PER:2`).
        case maxPer

        /// Marathon's spelling: `UNIQUE`, `CLUSTER`, `GROUP_BY`, `LIKE`, `UNLIKE`, `MAX_PER`.
        public var marathonName: String {
            switch self {
            case .unique: "UNIQUE"
            case .cluster: "CLUSTER"
            case .groupBy: "GROUP_BY"
            case .like: "LIKE"
            case .unlike: "UNLIKE"
            case .maxPer: "MAX_PER"
            }
        }
    }

    /// The attribute that means the agent's host name (``Offer/hostname``) rather than one of
    /// its ``Offer/attributes``: `hostname`, as in Marathon.
    public static let hostnameAttribute = "hostname"

    /// The agent attribute compared: `rack`, `zone`, or ``hostnameAttribute``.
    public var attribute: String
    /// How it is compared.
    public var `operator`: Operator
    /// The operator's argument: a value (``Operator/cluster``), a regular expression
    /// (``Operator/like``, ``Operator/unlike``), a count (``Operator/maxPer``,
    /// ``Operator/groupBy``), or `nil` (``Operator/unique``, and the optional forms of
    /// ``Operator/cluster`` and ``Operator/groupBy``). ``validate(field:as:)`` checks it.
    public var value: String?

    /// Creates a constraint; ``validate(field:as:)`` checks that `value` suits `operator`.
    public init(attribute: String, operator: Operator, value: String? = nil) {
        self.attribute = attribute
        self.operator = `operator`
        self.value = value
    }

    /// Marathon's text form: `hostname:UNIQUE`, `rack:GROUP_BY:3`, `rack:LIKE:r[12]`.
    public var description: String {
        "\(attribute):\(self.operator.marathonName)" + (value.map { ":\($0)" } ?? "")
    }

    /// The agent's value of ``attribute`` in `offer`: its host name for ``hostnameAttribute``,
    /// else its attribute of that name; `nil` when the agent does not have it.
    public func attributeValue(in offer: Offer) -> String? {
        attribute == Self.hostnameAttribute ? offer.hostname : offer.attributes[attribute]
    }

    /// Checks whether one more instance of the group may run on `offer`'s agent.
    ///
    /// - Parameters:
    ///   - offer: The offer considered.
    ///   - placed: For each instance of the group already placed (including any placed
    ///     earlier in the same offer cycle), the attribute values recorded when it was
    ///     launched (``Swift/Sequence/placementValues(in:)``). Instances without a value for
    ///     ``attribute`` are ignored.
    /// - Returns: `nil` when the constraint holds, else why not. A value the operator cannot
    ///   use (a bad regular expression, a count that is not a whole number ≥ 1) rejects every
    ///   offer, saying so; ``validate(field:as:)`` catches it before anything runs.
    public func check(_ offer: Offer, placed: [[String: String]]) -> PlacementRejection? {
        func reject(_ reason: String) -> PlacementRejection {
            PlacementRejection(constraint: self, agentID: offer.agentID, reason: reason)
        }
        let agent = "agent \(offer.agentID.value)"
        guard let actual = attributeValue(in: offer) else {
            return self.operator == .unlike ? nil : reject("\(agent) has no attribute \(attribute)")
        }
        let others = placed.compactMap { $0[attribute] }
        switch self.operator {
        case .unique:
            return others.contains(actual) ? reject("\(attribute) \(actual) already has an instance") : nil
        case .cluster:
            guard let wanted = value ?? others.first, wanted != actual else { return nil }
            let pinned = value == nil ? "the instances run on \(attribute) \(wanted); " : ""
            return reject("\(pinned)\(agent) has \(attribute) \(actual)")
        case .like, .unlike:
            guard let matched = wholeMatch(actual) else {
                return reject(unusableValue("a regular expression"))
            }
            if matched == (self.operator == .like) { return nil }
            return reject("\(agent) has \(attribute) \(actual), which \(matched ? "matches" : "does not match") \(value ?? "")")
        case .maxPer:
            guard let limit = wholeNumber(value) else { return reject(unusableValue("a whole number ≥ 1")) }
            let used = others.count { $0 == actual }
            return used < limit ? nil : reject("\(attribute) \(actual) already has \(instances(used))")
        case .groupBy:
            let expected: Int
            if let value {
                guard let number = wholeNumber(value) else { return reject(unusableValue("a whole number ≥ 1")) }
                expected = number
            } else {
                expected = 0
            }
            return groupByRejection(actual, others: others, expected: expected).map(reject)
        }
    }

    /// Why `actual` may not take another instance under ``Operator/groupBy``, or `nil`.
    private func groupByRejection(_ actual: String, others: [String], expected: Int) -> String? {
        var counts: [String: Int] = [:]
        for other in others { counts[other, default: 0] += 1 }
        guard let used = counts[actual] else { return nil }
        if counts.count < expected {
            return "\(attribute) \(actual) already has \(instances(used)), and only \(counts.count) of the \(expected) expected values of \(attribute) have any: a new value comes first"
        }
        // The least-used value; ties go to the smallest name, so the reason is stable.
        guard let least = counts.min(by: { ($0.value, $0.key) < ($1.value, $1.key) }), used > least.value else { return nil }
        return "\(attribute) \(actual) already has \(instances(used)), \(attribute) \(least.key) only \(least.value)"
    }

    /// Whether `text` matches ``value`` as a whole; `nil` when ``value`` is not a regular expression.
    private func wholeMatch(_ text: String) -> Bool? {
        guard let value, let regex = try? Regex(value) else { return nil }
        return (try? regex.wholeMatch(in: text)) != nil
    }

    /// `text` as a whole number ≥ 1, the argument of ``Operator/maxPer`` and ``Operator/groupBy``.
    func wholeNumber(_ text: String?) -> Int? {
        guard let text, let number = Int(text), number >= 1 else { return nil }
        return number
    }

    /// Why ``value`` cannot be used, when the operator needs `kind`.
    private func unusableValue(_ kind: String) -> String {
        value.map { "'\($0)' is not \(kind)" } ?? "the value must be \(kind), and there is none"
    }

    private func instances(_ count: Int) -> String { count == 1 ? "1 instance" : "\(count) instances" }
}

/// Why a ``PlacementConstraint`` does not let one more instance run on an offer's agent.
///
/// ``description`` reads `rack:MAX_PER:2: rack r1 already has 2 instances` or
/// `zone:LIKE:eu-.*: agent a3 has no attribute zone`: the constraint in Marathon's text form,
/// then the reason. Frameworks log it, or show it where an instance waits for an offer.
public struct PlacementRejection: Hashable, Sendable, CustomStringConvertible {
    /// The constraint that does not hold.
    public var constraint: PlacementConstraint
    /// The agent of the offer rejected.
    public var agentID: AgentID
    /// Why, in words that name the attribute and its value: `rack r1 already has 2 instances`.
    public var reason: String

    /// Creates a rejection of `agentID`'s offer by `constraint`.
    public init(constraint: PlacementConstraint, agentID: AgentID, reason: String) {
        self.constraint = constraint
        self.agentID = agentID
        self.reason = reason
    }

    /// The constraint and the reason: `rack:MAX_PER:2: rack r1 already has 2 instances`.
    public var description: String { "\(constraint): \(reason)" }
}

extension Sequence<PlacementConstraint> {
    /// Checks a group's constraints in order for one more instance on `offer`'s agent.
    ///
    /// - Parameter placed: The recorded attribute values of each instance of the group already
    ///   placed, as for ``PlacementConstraint/check(_:placed:)``.
    /// - Returns: The first constraint's rejection, or `nil` when every constraint holds.
    public func firstRejection(offer: Offer, placed: [[String: String]]) -> PlacementRejection? {
        for constraint in self {
            if let rejection = constraint.check(offer, placed: placed) { return rejection }
        }
        return nil
    }

    /// The agent's value of every attribute the constraints name (the ones it has), to record
    /// with an instance launched on `offer` and pass back as one element of `placed`.
    public func placementValues(in offer: Offer) -> [String: String] {
        var values: [String: String] = [:]
        for constraint in self {
            values[constraint.attribute] = constraint.attributeValue(in: offer)
        }
        return values
    }
}
