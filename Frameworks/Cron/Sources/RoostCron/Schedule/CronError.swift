/// Why a cron expression or time zone was rejected: a ``Code`` and a message naming the field and the bad value.
///
/// Every failure of ``CronExpression/init(parsing:)`` and ``CronSchedule/init(parsing:timeZone:)``
/// is a `CronError`; the message is written for the person who typed the expression,
/// such as `day-of-month 32 is out of range 1–31`.
public struct CronError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of a ``CronError``: an extensible set of named values (compare with `==`, not `switch`).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name, such as `fieldOutOfRange`.
        public let name: String

        /// Creates a code; the known codes are the static members of this type.
        public init(_ name: String) { self.name = name }

        public var description: String { name }

        /// The expression does not have five fields (and is not a known `@` macro).
        public static let wrongFieldCount = Code("wrongFieldCount")
        /// A field is not made of numbers, names, `*`, `-`, `/` and `,` in a valid order.
        public static let badSyntax = Code("badSyntax")
        /// A number, range bound or step is outside what its field allows.
        public static let fieldOutOfRange = Code("fieldOutOfRange")
        /// A month or weekday name, or an `@` macro, is not one cron knows.
        public static let unknownName = Code("unknownName")
        /// The expression is valid but no date ever matches it, such as `0 0 30 2 *`.
        public static let impossibleSchedule = Code("impossibleSchedule")
        /// The time zone name is not an IANA zone this system knows.
        public static let unknownTimeZone = Code("unknownTimeZone")
    }

    /// What kind of failure this is.
    public var code: Code
    /// What is wrong, naming the field and the offending value.
    public var message: String

    /// Creates an error with `code` and a message that names the field and the bad value.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`, as every coded error in Roost prints.
    public var description: String { "\(code): \(message)" }
}
