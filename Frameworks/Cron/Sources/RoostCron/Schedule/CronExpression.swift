/// A parsed five-field cron expression (minute hour day-of-month month day-of-week), without a time zone.
///
/// Accepts what Vixie cron accepts: `*`, numbers, lists (`1,15`), ranges (`9-17`), steps
/// (`*/15`, `1-30/7`, and `5/10` for `5-59/10`), month and weekday names (`JAN`, `MON-FRI`,
/// any case), both `0` and `7` for Sunday, and the macros `@yearly` (`@annually`), `@monthly`,
/// `@weekly`, `@daily` (`@midnight`) and `@hourly`.
///
/// Two expressions are equal when they select the same times under the same rules; ``description``
/// is that normalized form (numbers only, `7` folded to `0`, macros expanded), so
/// `CronExpression(parsing: expression.description)` gives back an equal value.
/// Expressions that can never fire, such as `0 0 30 2 *`, are rejected with
/// ``CronError/Code/impossibleSchedule``.
public struct CronExpression: Sendable, Hashable, CustomStringConvertible, Codable {
    let minute: CronField
    let hour: CronField
    let dayOfMonth: CronField
    let month: CronField
    let dayOfWeek: CronField

    /// Parses `text`: five whitespace-separated fields or one `@` macro.
    ///
    /// Throws a ``CronError`` whose message names the field and the bad value, such as
    /// `month "FOO" is not a month name (JAN–DEC)`.
    public init(parsing text: String) throws(CronError) {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
        var parts = fields
        if fields.count == 1, fields[0].hasPrefix("@") {
            parts = try Self.expand(macro: fields[0])
        }
        guard parts.count == 5 else {
            throw CronError(
                code: .wrongFieldCount,
                message: "expected 5 fields (minute hour day-of-month month day-of-week), got \(parts.count)")
        }
        minute = try CronField(parsing: parts[0], kind: .minute)
        hour = try CronField(parsing: parts[1], kind: .hour)
        dayOfMonth = try CronField(parsing: parts[2], kind: .dayOfMonth)
        month = try CronField(parsing: parts[3], kind: .month)
        dayOfWeek = try CronField(parsing: parts[4], kind: .dayOfWeek)
        try checkPossible()
    }

    /// The normalized expression: five numeric fields, such as `*/15 9-17 * * 1-5`.
    public var description: String {
        [minute, hour, dayOfMonth, month, dayOfWeek].map(\.description).joined(separator: " ")
    }

    /// Decodes the expression from its text form, parsing it as ``init(parsing:)`` does.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            self = try CronExpression(parsing: text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    /// Encodes the normalized text form (``description``).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    // MARK: Matching

    /// Whether the schedule follows the wall clock through daylight-saving changes (Vixie's "wildcard" jobs).
    ///
    /// True when the minute or the hour field starts with `*`: such a schedule fires at every
    /// matching instant, twice in a repeated hour and never in skipped minutes. Otherwise the
    /// schedule is a fixed time: once at the first occurrence of a repeated time, and right after
    /// the gap for a skipped one.
    var followsClock: Bool { minute.isStar || hour.isStar }

    /// Whether the day `day` of `month` in `year` (Gregorian), a `weekday` (0 = Sunday), matches.
    ///
    /// Vixie's rule: when either day field starts with `*`, a day must match both (so a plain `*`
    /// leaves the decision to the other); when both are restricted, matching either is enough.
    func dayMatches(day: Int, weekday: Int) -> Bool {
        let byDate = dayOfMonth.contains(day)
        let byWeekday = dayOfWeek.contains(weekday)
        return dayOfMonth.isStar || dayOfWeek.isStar ? byDate && byWeekday : byDate || byWeekday
    }

    // MARK: Parsing helpers

    private static func expand(macro: String) throws(CronError) -> [String] {
        switch macro.lowercased() {
        case "@yearly", "@annually": return ["0", "0", "1", "1", "*"]
        case "@monthly": return ["0", "0", "1", "*", "*"]
        case "@weekly": return ["0", "0", "*", "*", "0"]
        case "@daily", "@midnight": return ["0", "0", "*", "*", "*"]
        case "@hourly": return ["0", "*", "*", "*", "*"]
        case "@reboot":
            throw CronError(code: .unknownName, message: "@reboot has no fire times; use a time schedule such as @daily")
        default:
            throw CronError(
                code: .unknownName,
                message: "\"\(macro)\" is not a cron macro (@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)")
        }
    }

    /// Rejects day-of-month and month combinations that no year has, such as the 30th of February.
    ///
    /// Only a day-of-month that must match can make a schedule impossible: when both day fields
    /// are restricted, any matching weekday will do. Every valid date falls on every weekday
    /// somewhere in the 400-year Gregorian cycle, so a possible date is enough.
    private func checkPossible() throws(CronError) {
        let dayOfMonthMustMatch = dayOfMonth.isStar || dayOfWeek.isStar
        guard dayOfMonthMustMatch else { return }
        let months = month.values
        if months.contains(where: { m in dayOfMonth.values.contains(where: { $0 <= Civil.maximumDays(inMonth: m) }) }) {
            return
        }
        let longest = months.map(Civil.maximumDays(inMonth:)).max() ?? 31
        let names = months.map { CronField.Kind.monthNames[$0 - 1] }.joined(separator: ", ")
        throw CronError(
            code: .impossibleSchedule,
            message: "day-of-month \(dayOfMonth) never occurs in \(names) (at most \(longest) days), so the schedule never fires")
    }
}

/// Gregorian calendar arithmetic on plain integers (proleptic, no time zones).
enum Civil {
    /// The most days `month` (1–12) ever has: 29 for February.
    static func maximumDays(inMonth month: Int) -> Int {
        switch month {
        case 2: 29
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    static func isLeap(_ year: Int64) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    static func days(inMonth month: Int, year: Int64) -> Int {
        month == 2 ? (isLeap(year) ? 29 : 28) : maximumDays(inMonth: month)
    }

    /// Days since 1970-01-01 of a civil date (Howard Hinnant's `days_from_civil`).
    static func days(year: Int64, month: Int, day: Int) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The civil date of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
    static func civil(days z0: Int64) -> (year: Int64, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = Int(doy - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// The weekday of a day count since 1970-01-01 (a Thursday): 0 = Sunday … 6 = Saturday.
    static func weekday(days: Int64) -> Int {
        Int(((days + 4) % 7 + 7) % 7)
    }
}
