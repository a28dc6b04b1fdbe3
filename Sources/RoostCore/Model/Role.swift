/// A role: the unit that resources are reserved for and that fair sharing weighs.
///
/// `*` is the default role: resources with role `*` are unreserved and can be
/// offered to any framework. Role names follow Mesos' rules: not empty, not
/// `.` or `..`, no `/`-separated empty or dot segments, no whitespace or
/// control characters, and not starting with `-`. Hierarchical roles
/// (`eng/backend`) are allowed, as in Mesos 1.4+.
public struct Role: Hashable, Comparable, Sendable, Codable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    /// The role's name.
    public let name: String

    /// The default role, `*`: unreserved resources.
    public static let any: Role = Role(unchecked: "*")

    /// Whether this is the default `*` role.
    public var isDefault: Bool { name == "*" }

    init(unchecked name: String) { self.name = name }

    /// Creates a role from untrusted text.
    /// - Throws: ``InputError`` naming what is wrong with the name.
    public init(_ name: String) throws(InputError) {
        try Role.check(name)
        self.name = name
    }

    /// A role from a literal; an invalid literal is a programming error and traps.
    public init(stringLiteral value: String) {
        do { try self.init(value) } catch { preconditionFailure("invalid role literal: \(error)") }
    }

    public var description: String { name }
    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.name < rhs.name }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do { try self.init(text) } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(error)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }

    private static func check(_ name: String) throws(InputError) {
        if name == "*" { return }
        if name.isEmpty { throw InputError(field: "role", "must not be empty (use '*' for unreserved)") }
        if name.hasPrefix("-") { throw InputError(field: "role", "'\(name)' must not start with '-'") }
        if name.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F || $0 == "*" }) {
            throw InputError(field: "role", "'\(name)' contains whitespace, a control character or '*'")
        }
        for segment in name.split(separator: "/", omittingEmptySubsequences: false) {
            if segment.isEmpty || segment == "." || segment == ".." {
                throw InputError(field: "role", "'\(name)' has an empty, '.' or '..' path segment")
            }
        }
    }
}
