/// The kind of a typed error: an extensible set of named values, one set per error type.
///
/// Each error type (`SchedulerDriverError`, `StateStoreError`, …) declares its
/// codes as static members of `ErrorCode<ThatError>`, so codes of different
/// errors cannot be mixed up and new codes can be added without breaking a
/// `switch` in users' code (compare with `==` instead).
public struct ErrorCode<Domain>: Hashable, Sendable, CustomStringConvertible {
    /// The code's name, such as `versionMismatch`.
    public let name: String

    /// Creates a code; error types define theirs as static members.
    public init(_ name: String) { self.name = name }

    public var description: String { name }
}

/// An error with a ``ErrorCode`` and a message that names what is wrong and the fix.
public protocol CodedError: Error, CustomStringConvertible {
    /// What kind of failure this is.
    var code: ErrorCode<Self> { get }
    /// What went wrong, naming the offending field, ID or key, and how to fix it.
    var message: String { get }
}

extension CodedError {
    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
