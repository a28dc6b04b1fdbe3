import RoostCore

/// Cluster totals and per-holder allocations of scalar resources, for computing dominant shares.
///
/// A dominant share is the largest, over scalar resources, of allocated / total
/// (Ghodsi et al., NSDI 2011). Amounts are kept in exact thousandths, as
/// `Scalar` does; shares are computed in `Double` only for ordering. Names in
/// `excluded` do not count (Mesos' `--fair_sharing_excluded_resource_names`,
/// typically `gpus`).
struct ShareLedger: Sendable {
    /// Resource names that do not count towards shares.
    let excluded: Set<String>
    /// The counted scalar names; a name's index is its position in the vectors below.
    /// Clusters have a handful of resource names, so a linear scan beats hashing here.
    private var names: [String] = []
    /// Cluster total per dimension, in thousandths.
    private(set) var totals: [Int64] = []

    init(excluded: Set<String>) { self.excluded = excluded }

    /// Adds (or, with `sign` -1, removes) an agent's scalar totals.
    mutating func addTotal(_ resources: Resources, sign: Int64 = 1) {
        for entry in resources.entries {
            guard case .scalar(let amount) = entry.value, !excluded.contains(entry.name) else { continue }
            let index = dimension(entry.name)
            totals[index] = max(0, totals[index] + sign * amount.milli)
        }
    }

    /// Adds (or subtracts, with `sign` -1) the scalar amounts of `resources` to a holder's vector.
    mutating func apply(_ resources: Resources, to vector: inout [Int64], sign: Int64) {
        for entry in resources.entries {
            guard case .scalar(let amount) = entry.value, !excluded.contains(entry.name) else { continue }
            let index = dimension(entry.name)
            if vector.count <= index { vector.append(contentsOf: repeatElement(0, count: index + 1 - vector.count)) }
            vector[index] = max(0, vector[index] + sign * amount.milli)
        }
    }

    /// The dominant share of a holder's vector: max over dimensions of allocated / total.
    func dominantShare(_ vector: [Int64]) -> Double {
        var share = 0.0
        for index in 0..<min(vector.count, totals.count) where totals[index] > 0 && vector[index] > 0 {
            share = max(share, Double(vector[index]) / Double(totals[index]))
        }
        return share
    }

    private mutating func dimension(_ name: String) -> Int {
        if let index = names.firstIndex(of: name) { return index }
        names.append(name)
        totals.append(0)
        return totals.count - 1
    }
}

/// A sort key for share-ordered lists: lower share first, then older registration.
struct ShareKey: Comparable, Sendable {
    var share: Double
    var registrationOrder: UInt64

    static func < (lhs: ShareKey, rhs: ShareKey) -> Bool {
        lhs.share < rhs.share || (lhs.share == rhs.share && lhs.registrationOrder < rhs.registrationOrder)
    }
}
