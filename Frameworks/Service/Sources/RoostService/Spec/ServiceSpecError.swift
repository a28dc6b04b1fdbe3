public import RoostCore

/// Why a ``ServiceSpec`` was rejected: a code and a message that names the field and the fix.
///
/// Every spec is checked before anything runs, so a bad file never starts an instance or
/// replaces the running version. Messages read `service.instances: must be ≥ 0, got -1` or
/// `unknown field 'intances' in service 'web' (did you mean 'instances'?)`.
public struct ServiceSpecError: CodedError, Hashable, Sendable {
    /// What kind of problem this is.
    public var code: ErrorCode<ServiceSpecError>
    /// What is wrong, naming the field (`service.instances`) and what would be accepted.
    public var message: String

    /// Creates an error.
    public init(_ code: ErrorCode<ServiceSpecError>, _ message: String) {
        self.code = code
        self.message = message
    }
}

extension ServiceSpecError: SpecReadingError {
    /// An ``ErrorCode/invalidValue`` error: `field: message`.
    public static func invalidField(_ field: String, _ message: String) -> ServiceSpecError {
        ServiceSpecError(.invalidValue, "\(field): \(message)")
    }

    /// A ``ErrorCode/missingField`` error: `field: required; for example …`.
    public static func missingField(_ field: String, example: String) -> ServiceSpecError {
        ServiceSpecError(.missingField, "\(field): required; for example \(example)")
    }

    /// An ``ErrorCode/unknownField`` error.
    public static func unknownField(_ message: String) -> ServiceSpecError {
        ServiceSpecError(.unknownField, message)
    }
}

extension ErrorCode where Domain == ServiceSpecError {
    /// A field has a value outside what it accepts (negative counts, bad resource text, a
    /// capacity outside [0, 1], a port name the service does not declare).
    public static var invalidValue: Self { Self("invalidValue") }
    /// A required field (`id`, `command`) is absent.
    public static var missingField: Self { Self("missingField") }
    /// The spec has a field no version of the spec defines, usually a typo.
    public static var unknownField: Self { Self("unknownField") }
    /// The file cannot be read, or is not valid JSON or YAML.
    public static var unreadable: Self { Self("unreadable") }
}
