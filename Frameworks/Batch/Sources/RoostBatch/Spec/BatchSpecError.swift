public import RoostCore

/// Why a ``BatchJob`` spec was rejected: a code and a message that names the field and the fix.
///
/// Every spec is checked before anything runs (``BatchJob/init(contentsOf:)``,
/// ``BatchJob/decode(_:format:)``, ``BatchJob/validate()``), so a bad file never starts a
/// single task. Messages read `job.completions: must be ≥ 0, got -1` or
/// `unknown field 'paralelism' in job 'x' (did you mean 'parallelism'?)`.
public struct BatchSpecError: CodedError, Hashable, Sendable {
    /// What kind of problem this is.
    public var code: ErrorCode<BatchSpecError>
    /// What is wrong, naming the field (`job.completions`) and what would be accepted.
    public var message: String

    /// Creates an error.
    public init(_ code: ErrorCode<BatchSpecError>, _ message: String) {
        self.code = code
        self.message = message
    }

    /// An ``ErrorCode/invalidValue`` error about `field`: `field: message`.
    static func invalid(_ field: String, _ message: String) -> BatchSpecError {
        BatchSpecError(.invalidValue, "\(field): \(message)")
    }
}

extension BatchSpecError: SpecReadingError {
    /// An ``ErrorCode/invalidValue`` error: `field: message`.
    public static func invalidField(_ field: String, _ message: String) -> BatchSpecError {
        .invalid(field, message)
    }

    /// A ``ErrorCode/missingField`` error: `field: required; for example …`.
    public static func missingField(_ field: String, example: String) -> BatchSpecError {
        BatchSpecError(.missingField, "\(field): required; for example \(example)")
    }

    /// An ``ErrorCode/unknownField`` error.
    public static func unknownField(_ message: String) -> BatchSpecError {
        BatchSpecError(.unknownField, message)
    }
}

extension ErrorCode where Domain == BatchSpecError {
    /// A field has a value outside what it accepts (negative counts, bad resource text, bad regex).
    public static var invalidValue: Self { Self("invalidValue") }
    /// A required field (`name`, `command`) is absent.
    public static var missingField: Self { Self("missingField") }
    /// The spec has a field no version of the spec defines, usually a typo.
    public static var unknownField: Self { Self("unknownField") }
    /// The file cannot be read, or is not valid JSON or YAML.
    public static var unreadable: Self { Self("unreadable") }
}
