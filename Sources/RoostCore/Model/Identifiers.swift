/// A string-backed identifier whose type says what it identifies.
///
/// Each ID kind is its own type, so a `TaskID` can never be passed where an
/// `AgentID` is expected. All of them encode in JSON as a bare string
/// (`"echo-1"`), construct from a string literal, and print as their value.
public protocol RoostIdentifier: Hashable, Comparable, Sendable, Codable,
    ExpressibleByStringLiteral, CustomStringConvertible
{
    /// The identifier's text.
    var value: String { get }
    /// Wraps `value` without validation; see ``validated(_:)`` for checked construction.
    init(_ value: String)
}

extension RoostIdentifier {
    public init(stringLiteral value: String) { self.init(value) }
    public var description: String { value }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try Self.validated(text)
        } catch {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "\(error)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }

    /// Creates an identifier from untrusted text (a call, a file, a flag).
    ///
    /// Mesos' rule for IDs: not empty, at most 255 bytes, no `/`, no control
    /// characters or whitespace, and not `.` or `..` (IDs become sandbox and
    /// store path segments).
    /// - Throws: ``InputError`` naming the identifier kind and what is wrong.
    public static func validated(_ text: String) throws(InputError) -> Self {
        let kind = String(describing: Self.self)
        if text.isEmpty {
            throw InputError(field: kind, "must not be empty")
        }
        if text.utf8.count > 255 {
            throw InputError(field: kind, "'\(text.prefix(40))…' is \(text.utf8.count) bytes; the limit is 255")
        }
        if text == "." || text == ".." {
            throw InputError(field: kind, "'\(text)' is not allowed (it names a directory)")
        }
        if let bad = text.unicodeScalars.first(where: { $0 == "/" || $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }) {
            let shown = bad == "/" ? "'/'" : "U+\(String(bad.value, radix: 16, uppercase: true))"
            throw InputError(field: kind, "'\(text)' contains \(shown); IDs may not contain '/', whitespace or control characters")
        }
        return Self(text)
    }
}

/// Identifies a framework; assigned by the master when it first subscribes.
public struct FrameworkID: RoostIdentifier {
    /// The identifier's text.
    public let value: String
    /// Wraps `value` unchecked; use ``RoostIdentifier/validated(_:)`` for untrusted text.
    public init(_ value: String) { self.value = value }
}

/// Identifies an agent; assigned by the master when the agent first registers.
public struct AgentID: RoostIdentifier {
    /// The identifier's text.
    public let value: String
    /// Wraps `value` unchecked; use ``RoostIdentifier/validated(_:)`` for untrusted text.
    public init(_ value: String) { self.value = value }
}

/// Identifies a task; chosen by the framework, unique within that framework.
public struct TaskID: RoostIdentifier {
    /// The identifier's text.
    public let value: String
    /// Wraps `value` unchecked; use ``RoostIdentifier/validated(_:)`` for untrusted text.
    public init(_ value: String) { self.value = value }
}

/// Identifies an offer; assigned by the master, valid until accepted, declined or rescinded.
public struct OfferID: RoostIdentifier {
    /// The identifier's text.
    public let value: String
    /// Wraps `value` unchecked; use ``RoostIdentifier/validated(_:)`` for untrusted text.
    public init(_ value: String) { self.value = value }
}

/// Identifies an executor on an agent; chosen by the framework.
public struct ExecutorID: RoostIdentifier {
    /// The identifier's text.
    public let value: String
    /// Wraps `value` unchecked; use ``RoostIdentifier/validated(_:)`` for untrusted text.
    public init(_ value: String) { self.value = value }
}

/// Identifies a master process (one candidate in a leader election).
public struct MasterID: RoostIdentifier {
    /// The identifier's text.
    public let value: String
    /// Wraps `value` unchecked; use ``RoostIdentifier/validated(_:)`` for untrusted text.
    public init(_ value: String) { self.value = value }
}
