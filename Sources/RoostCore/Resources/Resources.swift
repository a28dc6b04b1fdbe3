/// A canonical collection of resources: what an agent has, an offer holds or a task uses.
///
/// Entries with the same name, role and reservation are merged (amounts added,
/// ranges and sets united), and empty ones (a zero amount, no ranges, no items)
/// are dropped, so `==` and hashing are semantic: `cpus:1;cpus:1` equals `cpus:2`.
/// Entries are kept sorted by name, then role, then reservation (none first),
/// which makes `+`, `-` and `contains` linear merges that allocate at
/// most the result array: the allocator calls them in hot loops over many agents.
///
/// One name has one kind: adding `cpus` as ranges to a collection where `cpus`
/// is a scalar is a programming error and traps; the same conflict in text or
/// JSON from a user is a ``InputError`` or `DecodingError`.
///
/// ## Text form
///
/// ``init(parsing:)`` and ``description`` use Mesos' text form:
/// `cpus:2;mem:1024;ports:[31000-32000];disk(web):10;zones:{a,b}`.
/// - Entries are separated by `;`; whitespace around tokens, empty entries and
///   a trailing `;` are ignored. Repeated entries with the same name and role add up.
/// - An entry is `name:value` or `name(role):value`; `(*)` is the default and is
///   not printed. A dynamic reservation follows the role:
///   `cpus(web,dynamic,principal=ops,labels={team=x,tier=1}):1`.
/// - A scalar is plain decimal text: `2`, `0.5`, `.5` and `5.` are accepted, as
///   Mesos accepts them; a sign, an exponent, `nan` and `inf` are not. Text is read
///   exactly, rounding at the fourth decimal (see ``Scalar/init(parsing:)``).
/// - Ranges are `[a-b,c-d]`; a single value may be `a` or `a-a` (printed `a-a`).
/// - A set is `{a,b}`; items print sorted.
/// - In roles, principals, labels and set items, a backslash escapes the next
///   character; ``description`` escapes `\ ; , : ( ) [ ] { } =` and whitespace at
///   either end of a text, so every value round-trips through parsing.
/// - The empty collection prints as `{}`, as in Mesos; both `{}` and `""` parse as empty.
///
/// ## JSON
///
/// An array of Mesos v1 resource objects in the canonical order, for example
/// `[{"name":"cpus","type":"SCALAR","scalar":{"value":2},"role":"*"},`
/// `{"name":"ports","type":"RANGES","ranges":{"range":[{"begin":31000,"end":32000}]},"role":"*"},`
/// `{"name":"zones","type":"SET","set":{"item":["a","b"]},"role":"web",`
/// `"reservation":{"principal":"ops","labels":{}}}]`. `reservation` appears only
/// on dynamically reserved entries. Decoding validates every field and merges
/// repeated entries.
public struct Resources: Hashable, Sendable, Codable, Sequence, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    /// The canonical entries: merged, non-empty, sorted by name, role and reservation.
    public private(set) var entries: [Resource]

    /// No resources.
    public static let empty = Resources()

    /// Creates an empty collection.
    public init() { entries = [] }

    /// Wraps entries that are already canonical (sorted, merged, non-empty, kinds consistent).
    @inline(__always)
    init(canonical entries: [Resource]) { self.entries = entries }

    /// Creates the canonical sum of `resources`, in any order.
    ///
    /// - Precondition: a name has one kind throughout (not `cpus` as a scalar and as
    ///   ranges); a conflict is a programming error and traps. Untrusted input goes
    ///   through ``init(parsing:)`` or JSON decoding, which report it instead.
    public init(_ resources: some Sequence<Resource>) {
        var list = Array(resources)
        if let conflict = Resources.canonicalize(&list) {
            preconditionFailure("Resources: \(conflict.name) is both \(conflict.kinds.0.phrase) and \(conflict.kinds.1.phrase)")
        }
        entries = list
    }

    /// Resources from a literal in the text form; a bad literal is a programming error and traps with the parse error.
    public init(stringLiteral value: String) {
        do { try self.init(parsing: value) } catch { preconditionFailure("invalid Resources literal: \(error)") }
    }

    /// Whether there are no resources (every entry was zero or empty).
    public var isEmpty: Bool { entries.isEmpty }

    /// Iterates over the canonical ``entries``.
    public func makeIterator() -> IndexingIterator<[Resource]> { entries.makeIterator() }

    /// The number of entries.
    public var underestimatedCount: Int { entries.count }

    // MARK: Arithmetic

    /// All resources of both: entries with the same name, role and reservation are merged.
    ///
    /// - Precondition: a name has the same kind in both (see the type's documentation).
    public static func + (lhs: Resources, rhs: Resources) -> Resources {
        if rhs.entries.isEmpty { return lhs }
        if lhs.entries.isEmpty { return rhs }
        return Resources(canonical: merge(lhs.entries, rhs.entries))
    }

    /// Adds `rhs` to `lhs`, in place when every entry of `rhs` already has a matching entry in `lhs`.
    ///
    /// - Precondition: a name has the same kind in both.
    public static func += (lhs: inout Resources, rhs: Resources) {
        if rhs.entries.isEmpty { return }
        if lhs.entries.isEmpty {
            lhs = rhs
            return
        }
        var missing: [Resource] = []
        var i = 0
        let count = lhs.entries.count
        for entry in rhs.entries {
            var matched = false
            while i < count {
                let existing = lhs.entries[i]
                let order: Int
                if existing.name == entry.name {
                    checkKinds(existing, entry)
                    order = Resource.orderSameName(existing, entry)
                } else {
                    order = existing.name < entry.name ? -1 : 1
                }
                if order < 0 {
                    i += 1
                    continue
                }
                if order == 0 {
                    lhs.entries[i].value = existing.value.adding(entry.value)
                    i += 1
                    matched = true
                }
                break
            }
            if !matched { missing.append(entry) }
        }
        if !missing.isEmpty { lhs.entries = merge(lhs.entries, missing) }
    }

    /// What is left of `lhs` after removing `rhs`: amounts stop at zero, ranges split, sets lose items.
    ///
    /// Only entries with the same name, kind, role and reservation take anything
    /// away; whatever `rhs` has that `lhs` does not is ignored. Empty results are dropped.
    public static func - (lhs: Resources, rhs: Resources) -> Resources {
        var result = lhs
        result -= rhs
        return result
    }

    /// Removes `rhs` from `lhs` in place, saturating as `-` does.
    public static func -= (lhs: inout Resources, rhs: Resources) {
        if rhs.entries.isEmpty || lhs.entries.isEmpty { return }
        var i = 0
        let count = lhs.entries.count
        var emptied = false
        for entry in rhs.entries {
            while i < count {
                let existing = lhs.entries[i]
                let order = Resource.order(existing, entry)
                if order < 0 {
                    i += 1
                    continue
                }
                if order == 0 {
                    let left = existing.value.subtracting(entry.value)
                    lhs.entries[i].value = left
                    if left.isEmpty { emptied = true }
                    i += 1
                }
                break
            }
            if i == count { break }
        }
        if emptied { lhs.entries.removeAll { $0.value.isEmpty } }
    }

    /// Whether every entry of `other` is covered by an entry here with the same name, kind, role and reservation.
    ///
    /// `cpus(*)` and `cpus(web)` do not cover each other, nor do a static and a
    /// dynamic reservation for the same role. Linear and allocation-free.
    public func contains(_ other: Resources) -> Bool {
        var i = 0
        let count = entries.count
        for wanted in other.entries {
            while true {
                guard i < count else { return false }
                let order = Resource.order(entries[i], wanted)
                if order < 0 {
                    i += 1
                    continue
                }
                guard order == 0, entries[i].value.covers(wanted.value) else { return false }
                i += 1
                break
            }
        }
        return true
    }

    /// Whether `resource` is covered by the entry with its name, kind, role and reservation.
    ///
    /// This replaces `Sequence.contains(_:)`, which would ask whether `resource`
    /// is exactly one of the entries: `"cpus:4"` contains `cpus:1` here.
    public func contains(_ resource: Resource) -> Bool {
        if resource.value.isEmpty { return true }
        var i = firstIndex(named: resource.name)
        while i < entries.count, entries[i].name == resource.name {
            let order = Resource.orderSameName(entries[i], resource)
            if order == 0 { return entries[i].value.covers(resource.value) }
            if order > 0 { return false }
            i += 1
        }
        return false
    }

    // MARK: Filters

    /// The entries for which `isIncluded` is true, still canonical.
    public func filter(_ isIncluded: (Resource) throws -> Bool) rethrows -> Resources {
        Resources(canonical: try entries.filter(isIncluded))
    }

    /// The entries reserved for exactly `role`, statically or dynamically; `reserved(for: .any)` is ``unreserved``.
    public func reserved(for role: Role) -> Resources {
        filter { $0.role == role }
    }

    /// The unreserved entries (role `*`).
    public var unreserved: Resources {
        filter { $0.role.isDefault }
    }

    /// What a framework in `role` may be offered: unreserved entries, entries reserved for `role`,
    /// and, as with Mesos' hierarchical roles, entries reserved for an ancestor of `role`
    /// (`eng` reservations are allocatable to `eng/backend`).
    public func allocatable(to role: Role) -> Resources {
        filter { entry in
            entry.role.isDefault || entry.role == role || Resources.isStrictSubrole(role, of: entry.role)
        }
    }

    /// Whether `role` is below `ancestor` in the role tree (`eng/backend` is below `eng`).
    private static func isStrictSubrole(_ role: Role, of ancestor: Role) -> Bool {
        let child = role.name.utf8
        let parent = ancestor.name.utf8
        return child.starts(with: parent) && child.dropFirst(parent.count).first == UInt8(ascii: "/")
    }

    // MARK: Totals

    /// The total amount named `name` across all roles and reservations; zero if there is none
    /// (or if `name` is not a scalar).
    public func scalar(named name: String) -> Scalar {
        var total = Scalar.zero
        var i = firstIndex(named: name)
        while i < entries.count, entries[i].name == name {
            if case .scalar(let amount) = entries[i].value { total += amount }
            i += 1
        }
        return total
    }

    /// The union of the ranges named `name` across all roles and reservations; empty if there are none.
    public func ranges(named name: String) -> ValueRanges {
        var total = ValueRanges()
        var i = firstIndex(named: name)
        while i < entries.count, entries[i].name == name {
            if case .ranges(let ranges) = entries[i].value { total.formUnion(ranges) }
            i += 1
        }
        return total
    }

    /// The union of the sets named `name` across all roles and reservations; empty if there are none.
    public func set(named name: String) -> Set<String> {
        var total = Set<String>()
        var i = firstIndex(named: name)
        while i < entries.count, entries[i].name == name {
            if case .set(let items) = entries[i].value { total.formUnion(items) }
            i += 1
        }
        return total
    }

    /// The names of the scalar entries, sorted and without repeats: the dimensions of a dominant-share computation.
    public var scalarNames: [String] {
        var names: [String] = []
        for entry in entries {
            if case .scalar = entry.value, names.last != entry.name { names.append(entry.name) }
        }
        return names
    }

    /// The index of the first entry named `name`, or where it would go; a binary search.
    private func firstIndex(named name: String) -> Int {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].name < name {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low
    }

    // MARK: Canonical form

    /// Traps when `lhs` and `rhs` (with the same name) are of different kinds.
    @inline(__always)
    private static func checkKinds(_ lhs: Resource, _ rhs: Resource) {
        let (left, right) = (lhs.value.kind, rhs.value.kind)
        precondition(left == right, "Resources: cannot combine \(rhs.name) as \(right.phrase) with \(lhs.name) as \(left.phrase); a resource name has one kind")
    }

    /// Merges two canonical entry lists into one.
    private static func merge(_ lhs: [Resource], _ rhs: [Resource]) -> [Resource] {
        var result: [Resource] = []
        result.reserveCapacity(lhs.count + rhs.count)
        var i = 0
        var j = 0
        while i < lhs.count, j < rhs.count {
            let left = lhs[i]
            let right = rhs[j]
            let order: Int
            if left.name == right.name {
                checkKinds(left, right)
                order = Resource.orderSameName(left, right)
            } else {
                order = left.name < right.name ? -1 : 1
            }
            if order < 0 {
                result.append(left)
                i += 1
            } else if order > 0 {
                result.append(right)
                j += 1
            } else {
                var sum = left
                sum.value = left.value.adding(right.value)
                result.append(sum)
                i += 1
                j += 1
            }
        }
        result.append(contentsOf: lhs[i...])
        result.append(contentsOf: rhs[j...])
        return result
    }

    /// A name used with two kinds.
    struct KindConflict {
        var name: String
        var kinds: (Resource.Kind, Resource.Kind)
    }

    /// Sorts, merges and drops empty entries in place; returns the first kind conflict instead if there is one.
    static func canonicalize(_ list: inout [Resource]) -> KindConflict? {
        list.sort { Resource.order($0, $1) < 0 }
        var result: [Resource] = []
        result.reserveCapacity(list.count)
        for entry in list {
            if let last = result.last, last.name == entry.name {
                if last.value.kind != entry.value.kind {
                    return KindConflict(name: entry.name, kinds: (last.value.kind, entry.value.kind))
                }
                if Resource.orderSameName(last, entry) == 0 {
                    result[result.count - 1].value = last.value.adding(entry.value)
                    continue
                }
            }
            result.append(entry)
        }
        result.removeAll { $0.value.isEmpty }
        list = result
        return nil
    }
}
