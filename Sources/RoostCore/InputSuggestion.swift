/// "Did you mean …?" for names a user typed: the known name closest to `name`, when it is
/// close enough to be a typo.
///
/// Closeness is the Levenshtein distance, ignoring case; a name within `maxDistance` edits
/// (default 2) is suggested, the closest first (the earliest in `known` on a tie). Spec
/// readers use it for unknown fields (`unknown field 'paralelism' (did you mean
/// 'parallelism'?)`).
public func closestName(to name: String, among known: some Sequence<String>, maxDistance: Int = 2) -> String? {
    var best: (name: String, distance: Int)?
    for candidate in known {
        let distance = editDistance(candidate, name)
        if distance <= maxDistance, distance < (best?.distance ?? .max) { best = (candidate, distance) }
    }
    return best?.name
}

/// The Levenshtein distance between two strings, ignoring case.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.lowercased()), b = Array(b.lowercased())
    guard !a.isEmpty else { return b.count }
    guard !b.isEmpty else { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
