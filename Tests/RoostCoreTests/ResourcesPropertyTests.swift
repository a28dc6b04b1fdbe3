import Foundation
import RoostCore
import RoostTesting
import Testing

/// Generates resources mixing scalars, ranges, sets, roles and reservations, including awkward text.
///
/// Each name has a fixed kind (as a real cluster's would), so any two generated
/// values can be added. With a `side`, values use disjoint ports and set items,
/// so `(a + b) - b == a` must hold exactly even where ranges of `a` and `b` touch.
struct ResourcesGenerator {
    var rng: SplitMix64

    static let scalarNames = ["cpus", "mem", "disk"]
    static let rangeNames = ["ports"]
    static let setNames = ["zones", "gpus"]
    static let roles: [Role] = [.any, .any, "web", "eng", "eng/backend", "odd(r):1,{x};=y"]
    static let reservations: [Reservation] = [
        Reservation(),
        Reservation(principal: "ops"),
        Reservation(principal: " p;x ", labels: ["team": "web"]),
        Reservation(labels: ["a=b": "c,d", "k": ""]),
    ]
    static let items = [["a", "b", "c", "a,b", " lead"], ["x", "y", "tail ", "{z}", "é"]]

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
    mutating func chance(_ percent: Int) -> Bool { int(0...99) < percent }

    mutating func resources(side: Int? = nil) -> Resources {
        var list: [Resource] = []
        for _ in 0..<int(0...6) { list.append(resource(side: side)) }
        return Resources(list)
    }

    mutating func resource(side: Int?) -> Resource {
        let role = Self.roles[int(0...(Self.roles.count - 1))]
        let reservation = !role.isDefault && chance(40) ? Self.reservations[int(0...(Self.reservations.count - 1))] : nil
        let value: Resource.Value
        let name: String
        switch int(0...5) {
        case 0...2:
            name = Self.scalarNames[int(0...(Self.scalarNames.count - 1))]
            let milli: Int64
            switch int(0...9) {
            case 0: milli = 0
            case 1: milli = Int64(int(0...1_000_000_000_000_000))
            default: milli = Int64(int(1...5000))
            }
            value = .scalar(Scalar(milli: milli))
        case 3...4:
            name = Self.rangeNames[0]
            value = .ranges(ranges(side: side))
        default:
            name = Self.setNames[int(0...(Self.setNames.count - 1))]
            let pool = Self.items[side ?? int(0...1)]
            var items = Set<String>()
            for _ in 0..<int(0...3) { items.insert(pool[int(0...(pool.count - 1))]) }
            value = .set(items)
        }
        // Every generated part is valid, so a failure here is a bug in Resource's validation.
        return try! Resource(name: name, value: value, role: role, reservation: reservation)
    }

    /// Ranges within ten-value slots (even slots for side 0, odd for side 1), and at the top of `UInt64`.
    mutating func ranges(side: Int?) -> ValueRanges {
        var list: [ClosedRange<UInt64>] = []
        for _ in 0..<int(0...3) {
            let parity = side ?? int(0...1)
            if chance(10) {
                let top = UInt64.max - UInt64(parity * 6)
                let low = top - UInt64(int(0...5))
                list.append(low...top)
            } else {
                let slot = UInt64(int(0...9) / 2 * 2 + parity)
                let low = slot * 10 + UInt64(int(0...9))
                let high = low + UInt64(int(0...Int(slot * 10 + 9 - low)))
                list.append(low...high)
            }
        }
        return ValueRanges(list)
    }
}

/// A deliberately naive model of resources, independent of the code under test: scalars as thousandths,
/// ranges as sets of individual values, keyed by name, role and reservation.
struct ResourcesModel: Equatable {
    struct Key: Hashable {
        var name: String
        var role: Role
        var reservation: Reservation?
    }

    var scalars: [Key: Int64] = [:]
    var values: [Key: Set<UInt64>] = [:]
    var items: [Key: Set<String>] = [:]

    init(_ resources: Resources) {
        for entry in resources {
            let key = Key(name: entry.name, role: entry.role, reservation: entry.reservation)
            switch entry.value {
            case .scalar(let scalar): scalars[key, default: 0] += scalar.milli
            case .ranges(let ranges):
                for range in ranges.ranges {
                    var value = range.lowerBound
                    while true {
                        values[key, default: []].insert(value)
                        if value == range.upperBound { break }
                        value += 1
                    }
                }
            case .set(let set): items[key, default: []].formUnion(set)
            }
        }
    }

    static func + (lhs: ResourcesModel, rhs: ResourcesModel) -> ResourcesModel {
        var sum = lhs
        sum.scalars.merge(rhs.scalars, uniquingKeysWith: +)
        sum.values.merge(rhs.values) { $0.union($1) }
        sum.items.merge(rhs.items) { $0.union($1) }
        return sum
    }

    static func - (lhs: ResourcesModel, rhs: ResourcesModel) -> ResourcesModel {
        var left = lhs
        for (key, amount) in rhs.scalars where left.scalars[key] != nil { left.scalars[key]! = max(0, left.scalars[key]! - amount) }
        for (key, set) in rhs.values where left.values[key] != nil { left.values[key]!.subtract(set) }
        for (key, set) in rhs.items where left.items[key] != nil { left.items[key]!.subtract(set) }
        left.scalars = left.scalars.filter { $0.value != 0 }
        left.values = left.values.filter { !$0.value.isEmpty }
        left.items = left.items.filter { !$0.value.isEmpty }
        return left
    }

    func contains(_ other: ResourcesModel) -> Bool {
        other.scalars.allSatisfy { (scalars[$0.key] ?? 0) >= $0.value }
            && other.values.allSatisfy { (values[$0.key] ?? []).isSuperset(of: $0.value) }
            && other.items.allSatisfy { (items[$0.key] ?? []).isSuperset(of: $0.value) }
    }
}

extension ResourcesTests {
    /// Algebraic laws over thousands of generated values, checked against each other and a naive model.
    ///
    /// Each check is a `#require`, so a test stops at its first counterexample and prints it.
    struct Properties {
        static let iterations = 2000

        /// Whether `resources` is in canonical form: strictly ordered, no empty entries, one kind per name.
        func isCanonical(_ resources: Resources) -> Bool {
            let entries = resources.entries
            for (index, entry) in entries.enumerated() {
                if entry.value.isEmpty { return false }
                guard index > 0 else { continue }
                let previous = entries[index - 1]
                if previous.name > entry.name { return false }
                if previous.name == entry.name {
                    if previous.role.name > entry.role.name { return false }
                    if previous.role == entry.role, previous.reservation == entry.reservation { return false }
                }
            }
            for entry in entries {
                if case .ranges(let ranges) = entry.value {
                    for (left, right) in zip(ranges.ranges, ranges.ranges.dropFirst())
                    where left.upperBound == .max || left.upperBound + 1 >= right.lowerBound {
                        return false
                    }
                }
            }
            return true
        }

        @Test func additionThenSubtractionRestoresDisjointValues() throws {
            var generator = ResourcesGenerator(seed: 1)
            for _ in 0..<Self.iterations {
                let a = generator.resources(side: 0)
                let b = generator.resources(side: 1)
                try #require((a + b) - b == a, "a = \(a); b = \(b)")
                try #require((b + a) - a == b, "a = \(a); b = \(b)")
            }
        }

        @Test func containmentLaws() throws {
            var generator = ResourcesGenerator(seed: 2)
            for _ in 0..<Self.iterations {
                let a = generator.resources()
                let b = generator.resources()
                try #require(a.contains(a - b), "a = \(a); b = \(b)")
                try #require((a + b).contains(a), "a = \(a); b = \(b)")
                try #require((a + b).contains(b), "a = \(a); b = \(b)")
                try #require(a.contains(a))
                try #require(a.contains(.empty))
                try #require(a.contains(b) == (b - a).isEmpty, "a = \(a); b = \(b)")
                try #require((a - a).isEmpty, "a = \(a)")
            }
        }

        @Test func additionIsCommutativeAndAssociative() throws {
            var generator = ResourcesGenerator(seed: 3)
            for _ in 0..<Self.iterations {
                let a = generator.resources()
                let b = generator.resources()
                let c = generator.resources()
                try #require(a + b == b + a, "a = \(a); b = \(b)")
                try #require((a + b) + c == a + (b + c), "a = \(a); b = \(b); c = \(c)")
                try #require(a + .empty == a)
                var inPlace = a
                inPlace += b
                inPlace += c
                try #require(inPlace == a + b + c)
                var removed = inPlace
                removed -= c
                try #require(removed == (a + b + c) - c)
            }
        }

        @Test func agreesWithANaiveModel() throws {
            var generator = ResourcesGenerator(seed: 4)
            for _ in 0..<Self.iterations {
                let a = generator.resources()
                let b = generator.resources()
                let (modelA, modelB) = (ResourcesModel(a), ResourcesModel(b))
                try #require(isCanonical(a) && isCanonical(b) && isCanonical(a + b) && isCanonical(a - b))
                try #require(ResourcesModel(a + b) == modelA + modelB, "a = \(a); b = \(b)")
                try #require(ResourcesModel(a - b) == modelA - modelB, "a = \(a); b = \(b)")
                try #require(a.contains(b) == modelA.contains(modelB), "a = \(a); b = \(b)")
                try #require(a.contains(b) == b.allSatisfy(a.contains), "a = \(a); b = \(b)")
                let sum = a + b
                for name in ResourcesGenerator.scalarNames {
                    try #require(sum.scalar(named: name) == a.scalar(named: name) + b.scalar(named: name))
                }
                try #require(sum.ranges(named: "ports") == a.ranges(named: "ports").union(b.ranges(named: "ports")))
                try #require(sum.set(named: "zones") == a.set(named: "zones").union(b.set(named: "zones")))
                try #require(Set(sum.scalarNames) == Set(a.scalarNames).union(b.scalarNames))
            }
        }

        @Test func orderOfConstructionDoesNotMatter() throws {
            var generator = ResourcesGenerator(seed: 5)
            for _ in 0..<Self.iterations {
                let a = generator.resources()
                let shuffled = a.entries.shuffled(using: &generator.rng)
                try #require(Resources(shuffled) == a)
                try #require(Resources(shuffled + shuffled) == a + a)
                try #require(Set([a, Resources(shuffled)]).count == 1)
            }
        }

        @Test func textRoundTrips() throws {
            var generator = ResourcesGenerator(seed: 6)
            for _ in 0..<Self.iterations {
                let a = generator.resources()
                let text = a.description
                let parsed = try Resources(parsing: text)
                try #require(parsed == a, "\(text)")
                try #require(parsed.description == text)
            }
        }

        @Test func jsonRoundTrips() throws {
            var generator = ResourcesGenerator(seed: 7)
            let encoder = JSONEncoder()
            let decoder = JSONDecoder()
            for _ in 0..<Self.iterations / 4 {
                let a = generator.resources()
                try #require(try decoder.decode(Resources.self, from: encoder.encode(a)) == a, "\(a)")
            }
        }

        @Test func generatorIsDeterministicAndMixesEverything() throws {
            var first = ResourcesGenerator(seed: 42)
            var second = ResourcesGenerator(seed: 42)
            var seen = (scalar: false, ranges: false, set: false, role: false, reservation: false)
            for _ in 0..<200 {
                let a = first.resources()
                try #require(a == second.resources())
                for entry in a {
                    switch entry.value {
                    case .scalar: seen.scalar = true
                    case .ranges: seen.ranges = true
                    case .set: seen.set = true
                    }
                    if entry.isReserved { seen.role = true }
                    if entry.isDynamicallyReserved { seen.reservation = true }
                }
            }
            #expect(seen == (true, true, true, true, true))
        }
    }
}
