/// A framework name as the user typed it and the identifiers `roost new` makes from it.
///
/// `my-sched` becomes the type and module name `MySched` and the command name `my-sched`;
/// `my_sched` and `mySched` become `MySched` too.
struct FrameworkName: Equatable, Sendable {
    /// The name as given (`my-sched`).
    let original: String
    /// The Swift identifier: each part between `-` and `_` with its first letter in upper case (`MySched`).
    let typeName: String
    /// The executable's and the framework's name: lower case, `_` written as `-` (`my-sched`).
    let command: String

    /// Module names a generated package must not take: it imports them.
    static let reserved: Set<String> = [
        "Roost", "RoostCore", "RoostAllocators", "RoostMaster", "RoostAgent", "RoostCoordination", "RoostCluster",
        "RoostTesting", "RoostBatch", "RoostCron", "ZooKeeperNIO", "ZooKeeperTesting",
        "Swift", "Foundation", "FoundationEssentials", "Testing", "Dispatch", "Glibc", "Darwin", "Synchronization",
        "Logging", "Any", "Self", "Type", "Protocol",
    ]

    /// Validates `raw` and converts it.
    /// - Throws: ``ScaffoldError`` naming what is wrong: empty, a leading digit, a character other than
    ///   ASCII letters, digits, `-` and `_`, no letter or digit at all, or a name a generated package imports.
    init(validating raw: String) throws(ScaffoldError) {
        guard !raw.isEmpty else { throw ScaffoldError("the framework name is empty; use letters, digits, '-' and '_', e.g. my-sched") }
        if let bad = raw.first(where: { !(($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" || $0 == "_") }) {
            throw ScaffoldError("invalid framework name '\(raw)': '\(bad)' is not allowed; use letters, digits, '-' and '_'")
        }
        if let first = raw.first, first.isNumber {
            throw ScaffoldError("invalid framework name '\(raw)': it starts with a digit ('\(first)'); a Swift module name cannot")
        }
        let parts = raw.split(whereSeparator: { $0 == "-" || $0 == "_" })
        let typeName = parts.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        guard let first = typeName.first else {
            throw ScaffoldError("invalid framework name '\(raw)': it has no letters or digits")
        }
        guard !first.isNumber else {
            throw ScaffoldError("invalid framework name '\(raw)': it becomes '\(typeName)', which starts with a digit")
        }
        guard !Self.reserved.contains(typeName) else {
            throw ScaffoldError("invalid framework name '\(raw)': '\(typeName)' is a module the generated package imports; choose another name")
        }
        original = raw
        self.typeName = typeName
        command = parts.map { $0.lowercased() }.joined(separator: "-")
    }
}

/// Why `roost new` wrote nothing: the message names what is wrong.
struct ScaffoldError: Error, CustomStringConvertible {
    /// What is wrong, for the user.
    let description: String

    /// Wraps `description`.
    init(_ description: String) { self.description = description }
}
