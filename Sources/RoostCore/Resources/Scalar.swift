/// An exact, non-negative amount of a scalar resource (CPUs, memory or disk in MB), to three decimal places.
///
/// Mesos moved scalar resources to fixed point after floating-point drift broke
/// `contains` (ten offers of 0.1 CPU did not add up to 1 CPU). A `Scalar` stores
/// whole thousandths in an `Int64`, so addition and comparison are exact:
/// `0.1 + 0.2 == 0.3`, and ten times `0.1` is exactly `1`.
///
/// A scalar is never negative, NaN or infinite. Untrusted amounts go through
/// ``init(_:)`` or ``init(parsing:)``, which throw a ``InputError``;
/// literals (`let cpus: Scalar = 0.5`) are code, and a bad one traps.
/// Addition saturates at ``max`` (about 9.2 × 10¹⁵ units) instead of trapping;
/// subtraction is only offered as ``saturatingSubtracting(_:)``, which stops at zero.
///
/// JSON: a plain number, `2` or `0.1`.
public struct Scalar: Hashable, Comparable, Sendable, Codable, CustomStringConvertible,
    ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral
{
    /// The amount in thousandths: `1.5` is `1500`. Never negative.
    public let milli: Int64

    /// Nothing: `0`.
    public static let zero = Scalar(uncheckedMilli: 0)

    /// The largest representable amount, 9223372036854775.807; addition saturates here.
    public static let max = Scalar(uncheckedMilli: .max)

    @inline(__always)
    init(uncheckedMilli milli: Int64) { self.milli = milli }

    /// Creates an amount from a count of thousandths (`Scalar(milli: 1500)` is 1.5).
    ///
    /// - Precondition: `milli` is not negative; a negative count is a programming error and traps.
    public init(milli: Int64) {
        precondition(milli >= 0, "Scalar(milli: \(milli)): amounts must not be negative")
        self.milli = milli
    }

    /// Creates an amount from untrusted floating-point input, rounded to the nearest thousandth.
    ///
    /// Rounding is half away from zero after scaling by 1000, as Mesos does, so
    /// `0.0004` becomes `0` and `1.2346` becomes `1.235`.
    /// - Throws: ``InputError`` (field `scalar`) for NaN, infinity, a negative
    ///   value (including one that only rounds to zero, like `-0.0001`), or a value above ``max``.
    public init(_ value: Double) throws(InputError) {
        if value.isNaN {
            throw InputError(field: "scalar", "NaN is not an amount; use a finite, non-negative number")
        }
        if value.isInfinite {
            throw InputError(field: "scalar", "\(value) is not an amount; use a finite, non-negative number")
        }
        if value < 0 {
            throw InputError(field: "scalar", "\(value) is negative; amounts must not be negative")
        }
        let scaled = (value * 1000).rounded(.toNearestOrAwayFromZero)
        // 2^63 is exactly representable; anything at or above it does not fit in Int64.
        guard scaled < 9_223_372_036_854_775_808.0 else {
            throw InputError(field: "scalar", "\(value) is too large; the limit is \(Scalar.max)")
        }
        self.milli = Int64(scaled)
    }

    /// Creates an amount from its exact decimal text (`2`, `0.5`, `.5`, `1024.125`).
    ///
    /// The text is read digit by digit, never through `Double`, so `0.1` is exactly
    /// 100 thousandths; a fourth decimal rounds half up (`0.0005` is `0.001`).
    /// Exponents, signs, `nan` and `inf` are not accepted.
    /// - Throws: ``InputError`` (field `scalar`) quoting the text and saying what was expected.
    public init(parsing text: String) throws(InputError) {
        switch Scalar.parse(Substring(text)) {
        case .success(let scalar): self = scalar
        case .failure(let failure): throw InputError(field: "scalar", failure.reason)
        }
    }

    /// An amount from an integer literal; a negative or oversized literal is a programming error and traps.
    public init(integerLiteral value: Int64) {
        precondition(value >= 0, "Scalar literal \(value): amounts must not be negative")
        let (milli, overflow) = value.multipliedReportingOverflow(by: 1000)
        precondition(!overflow, "Scalar literal \(value) is too large; the limit is \(Scalar.max)")
        self.milli = milli
    }

    /// An amount from a floating-point literal, rounded to a thousandth; a negative literal traps.
    public init(floatLiteral value: Double) {
        do { try self.init(value) } catch { preconditionFailure("invalid Scalar literal: \(error)") }
    }

    /// The amount as a `Double`, for ratios such as dominant shares; never use it for bookkeeping.
    public var doubleValue: Double { Double(milli) / 1000 }

    /// Whether the amount is exactly zero.
    public var isZero: Bool { milli == 0 }

    /// The sum of two amounts, saturating at ``max`` rather than trapping.
    @inline(__always)
    public static func + (lhs: Scalar, rhs: Scalar) -> Scalar {
        let (sum, overflow) = lhs.milli.addingReportingOverflow(rhs.milli)
        return Scalar(uncheckedMilli: overflow ? .max : sum)
    }

    /// Adds `rhs` to `lhs`, saturating at ``max``.
    @inline(__always)
    public static func += (lhs: inout Scalar, rhs: Scalar) { lhs = lhs + rhs }

    /// This amount minus `other`, or zero when `other` is larger: what is left after removing `other`.
    @inline(__always)
    public func saturatingSubtracting(_ other: Scalar) -> Scalar {
        Scalar(uncheckedMilli: milli > other.milli ? milli - other.milli : 0)
    }

    /// Whether `lhs` is the smaller amount; exact.
    public static func < (lhs: Scalar, rhs: Scalar) -> Bool { lhs.milli < rhs.milli }

    /// The shortest exact decimal text: `2`, `0.1`, `1.234`, `1024`.
    public var description: String {
        let whole = milli / 1000
        var fraction = milli % 1000
        if fraction == 0 { return String(whole) }
        var digits = 3
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        let fractionText = String(fraction)
        let padding = String(repeating: "0", count: digits - fractionText.count)
        return "\(whole).\(padding)\(fractionText)"
    }

    /// Decodes a plain JSON number, validated as ``init(_:)`` does.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let value: Double
        do {
            value = try container.decode(Double.self)
        } catch let error as DecodingError {
            guard case .dataCorrupted = error else { throw error }
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "scalar: expected a finite, non-negative number")
        } catch {
            // Foundation's decoder reports an out-of-range number with its own error and no path.
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "scalar: expected a finite, non-negative number")
        }
        do { try self.init(value) } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(error)")
        }
    }

    /// Encodes a plain JSON number (`2`, `0.1`).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(doubleValue)
    }
}

/// Why a piece of resource text could not be read; callers prefix the token it came from.
struct ResourceParseFailure: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}

extension Scalar {
    /// Reads exact decimal text (digits, at most one `.`, at least one digit); see ``init(parsing:)``.
    static func parse(_ text: Substring) -> Result<Scalar, ResourceParseFailure> {
        let utf8 = text.utf8
        if utf8.first == UInt8(ascii: "-"), case .success = parse(text.dropFirst()) {
            return .failure(ResourceParseFailure("amounts must not be negative"))
        }
        var whole: Int64 = 0
        var fraction: Int64 = 0
        var fractionDigits = 0
        var roundUp = false
        var sawDigit = false
        var sawPoint = false
        var tooLarge = false
        for byte in utf8 {
            if byte == UInt8(ascii: ".") {
                if sawPoint { return .failure(notANumber(text)) }
                sawPoint = true
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return .failure(notANumber(text)) }
            let digit = Int64(byte - UInt8(ascii: "0"))
            sawDigit = true
            if !sawPoint {
                let (times10, o1) = whole.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(digit)
                if o1 || o2 { tooLarge = true } else { whole = sum }
            } else if fractionDigits < 3 {
                fraction = fraction * 10 + digit
                fractionDigits += 1
            } else if fractionDigits == 3 {
                roundUp = digit >= 5
                fractionDigits += 1
            }
        }
        guard sawDigit else { return .failure(notANumber(text)) }
        while fractionDigits < 3 {
            fraction *= 10
            fractionDigits += 1
        }
        let (scaled, o1) = whole.multipliedReportingOverflow(by: 1000)
        let (withFraction, o2) = scaled.addingReportingOverflow(fraction + (roundUp ? 1 : 0))
        if tooLarge || o1 || o2 {
            return .failure(ResourceParseFailure("'\(text)' is too large; the limit is \(Scalar.max)"))
        }
        return .success(Scalar(uncheckedMilli: withFraction))
    }

    private static func notANumber(_ text: Substring) -> ResourceParseFailure {
        ResourceParseFailure("'\(text)' is not a number; write a plain decimal such as 2 or 0.5")
    }
}
