/// Bad input: a field of a spec, call, flag or text that cannot be accepted.
///
/// The message always names the offending field and says what would be
/// accepted, e.g. `TaskID: 'a/b' contains '/'; IDs may not contain '/' …`.
public struct InputError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The field, token or path that is wrong (`resources`, `frameworks[1].tasks[0].resources`, `TaskID`).
    public var field: String
    /// What is wrong with it and, where possible, how to fix it.
    public var message: String

    /// Creates an error about `field`.
    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    /// `field: message`, or only the message when no field is named.
    public var description: String { field.isEmpty ? message : "\(field): \(message)" }

    /// The same error with `prefix` put in front of the field path, for errors raised deep in a nested value.
    public func nested(under prefix: String) -> InputError {
        InputError(field: field.isEmpty ? prefix : "\(prefix).\(field)", message)
    }
}
