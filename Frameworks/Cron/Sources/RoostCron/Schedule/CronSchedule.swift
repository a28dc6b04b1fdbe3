public import Foundation

/// A cron expression in a time zone: computes when it fires next.
///
/// ```swift
/// let schedule = try CronSchedule(parsing: "*/15 9-17 * * MON-FRI", timeZone: "Europe/Berlin")
/// let next = schedule.next(after: .now)
/// ```
///
/// Fire times are wall-clock times in ``timeZone``. Daylight-saving changes follow Vixie cron:
/// - A **fixed-time** schedule (neither the minute nor the hour field starts with `*`) whose time is
///   skipped by a spring-forward change fires once, at the first instant after the gap (02:30 on
///   the night New York jumps from 02:00 to 03:00 fires at 03:00 EDT); a time repeated by a
///   fall-back change fires once, at its first occurrence.
/// - A schedule with `*` at the start of the minute or hour field follows the clock: skipped minutes
///   do not exist, and a repeated hour is run through twice, so `*/15 * * * *` fires in both passes.
///
/// Value semantics: equal schedules have equal normalized expressions and the same zone.
/// Encodes as `{"expression": "<normalized expression>", "timeZone": "<IANA name>"}`.
public struct CronSchedule: Sendable, Hashable, CustomStringConvertible, Codable {
    /// The parsed expression.
    public let expression: CronExpression
    /// The zone whose wall clock the expression is read in.
    public let timeZone: TimeZone

    /// Parses `expression` and looks up `timeZone` by its IANA name (`"UTC"` by default).
    ///
    /// Throws a ``CronError``: the parse errors of ``CronExpression/init(parsing:)``, or
    /// ``CronError/Code/unknownTimeZone`` naming the zone.
    public init(parsing expression: String, timeZone: String = "UTC") throws(CronError) {
        let parsed = try CronExpression(parsing: expression)
        guard let zone = TimeZone(identifier: timeZone) else {
            throw CronError(
                code: .unknownTimeZone,
                message: "time zone \"\(timeZone)\" is not a known IANA zone name (such as UTC or Europe/Berlin)")
        }
        self.init(parsed, timeZone: zone)
    }

    /// Combines a parsed expression with a time zone.
    public init(_ expression: CronExpression, timeZone: TimeZone) {
        self.expression = expression
        self.timeZone = timeZone
    }

    /// The normalized expression, such as `*/15 9-17 * * 1-5` (the zone is ``timeZone``).
    public var description: String { expression.description }

    /// The first fire time strictly after `date`, or nil when there is none within 400 years.
    ///
    /// The Gregorian calendar repeats every 400 years, so a schedule that does not fire within
    /// 400 years never does; expressions that can never fire are already rejected when parsed, so
    /// nil only comes from a zone whose every matching time is skipped, or from a `date` so far
    /// from the present (beyond ±100,000 years) that the search does not start.
    /// The search jumps field by field (month, day, hour, minute), so it takes microseconds even
    /// when the next fire time is years away.
    public func next(after date: Date) -> Date? {
        let seconds = date.timeIntervalSince1970
        guard seconds.isFinite, abs(seconds) < 3.2e15 else { return nil }
        return nextInstant(after: Int64(seconds.rounded(.down))).map { Date(timeIntervalSince1970: TimeInterval($0)) }
    }

    /// The first `count` fire times strictly after `date`, ascending; fewer only when ``next(after:)`` runs out.
    public func nextTimes(after date: Date, count: Int) -> [Date] {
        var times: [Date] = []
        var from = date
        while times.count < count, let time = next(after: from) {
            times.append(time)
            from = time
        }
        return times
    }

    /// `date` as ISO 8601 in this schedule's zone, with its offset: `2026-03-29T03:00:00+02:00`.
    public func formatted(_ date: Date) -> String {
        let instant = Int64(date.timeIntervalSince1970.rounded(.down))
        let offset = offset(at: instant)
        let local = instant + Int64(offset)
        let days = Self.floorDiv(local, 86_400)
        let secondOfDay = local - days * 86_400
        let (year, month, day) = Civil.civil(days: days)
        let sign = offset < 0 ? "-" : "+"
        let magnitude = abs(offset)
        func two(_ value: some BinaryInteger) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let yearText = year >= 0 ? String(repeating: "0", count: max(0, 4 - String(year).count)) + String(year) : String(year)
        var text = "\(yearText)-\(two(month))-\(two(day))T\(two(secondOfDay / 3600)):\(two(secondOfDay % 3600 / 60)):\(two(secondOfDay % 60))"
        text += "\(sign)\(two(magnitude / 3600)):\(two(magnitude % 3600 / 60))"
        return text
    }

    // MARK: Equality and coding

    /// Equal when the normalized expressions and the zone identifiers are equal.
    public static func == (lhs: CronSchedule, rhs: CronSchedule) -> Bool {
        lhs.expression == rhs.expression && lhs.timeZone.identifier == rhs.timeZone.identifier
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(expression)
        hasher.combine(timeZone.identifier)
    }

    private enum CodingKeys: String, CodingKey {
        case expression, timeZone
    }

    /// Decodes `{"expression": …, "timeZone": …}`, parsing both; a missing zone means UTC.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let expression = try container.decode(String.self, forKey: .expression)
        let zone = try container.decodeIfPresent(String.self, forKey: .timeZone) ?? "UTC"
        do {
            self = try CronSchedule(parsing: expression, timeZone: zone)
        } catch {
            let key: CodingKeys = error.code == .unknownTimeZone ? .timeZone : .expression
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: error.message)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(expression.description, forKey: .expression)
        try container.encode(timeZone.identifier, forKey: .timeZone)
    }

    // MARK: The search

    /// How a wall-clock time maps to instants in the zone.
    enum Resolution: Equatable {
        /// The usual case: exactly one instant.
        case single(Int64)
        /// Repeated by a fall-back change: the first and the second occurrence.
        case repeated(Int64, Int64)
        /// Skipped by a spring-forward change: the first instant after the gap.
        case skipped(gapEnd: Int64)
    }

    func offset(at instant: Int64) -> Int {
        timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant)))
    }

    /// Maps `local` (seconds since 1970-01-01T00:00 on the zone's wall clock) to instants.
    ///
    /// Assumes at most one offset change within a day of `local`, which holds for every zone in
    /// use; the candidate offsets are those before and after that change.
    func resolve(local: Int64) -> Resolution {
        var candidates: Set<Int> = [offset(at: local - 86_400), offset(at: local + 86_400)]
        for candidate in candidates { candidates.insert(offset(at: local - Int64(candidate))) }
        let instants = Set(candidates.filter { offset(at: local - Int64($0)) == $0 }.map { local - Int64($0) }).sorted()
        if let first = instants.first {
            return instants.count == 1 ? .single(first) : .repeated(first, instants[instants.count - 1])
        }
        // In a gap: the first instant whose wall clock is past `local` is the end of the gap.
        var low = local - Int64(candidates.max()!)
        var high = local - Int64(candidates.min()!)
        if low + Int64(offset(at: low)) > local { return .skipped(gapEnd: low) }
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if middle + Int64(offset(at: middle)) > local { high = middle } else { low = middle }
        }
        return .skipped(gapEnd: high)
    }

    /// The smallest fire instant (in whole seconds since 1970) strictly after `after`.
    func nextInstant(after: Int64) -> Int64? {
        let offsetNow = offset(at: after)
        // A fall-back change in the next day and a half repeats wall-clock times before now:
        // start the search that much earlier so their second occurrences are seen.
        let setBack = max(0, offsetNow - offset(at: after + 36 * 3600))
        let startLocal = Self.floorDiv(after + Int64(offsetNow - setBack), 60) * 60
        let startYear = Civil.civil(days: Self.floorDiv(startLocal, 86_400)).year
        var cursor = startLocal
        var best: Int64?
        let followsClock = expression.followsClock
        while let wall = nextMatchingWallTime(atOrAfter: cursor, throughYear: startYear + 401) {
            let earliest: Int64
            switch resolve(local: wall) {
            case .single(let instant):
                earliest = instant
                consider(instant)
            case .repeated(let first, let second):
                earliest = first
                consider(first)
                if followsClock { consider(second) }
            case .skipped(let gapEnd):
                earliest = gapEnd
                if !followsClock { consider(gapEnd) }
            }
            // The earliest instant of a wall time never decreases as the wall time grows,
            // so no later wall time can beat `best`.
            if let best, earliest >= best { break }
            cursor = wall + 60
        }
        return best

        func consider(_ instant: Int64) {
            if instant > after, best.map({ instant < $0 }) ?? true { best = instant }
        }
    }

    /// The first wall-clock minute at or after `local` that the expression matches, or nil past `lastYear`.
    func nextMatchingWallTime(atOrAfter local: Int64, throughYear lastYear: Int64) -> Int64? {
        let e = expression
        let startDays = Self.floorDiv(local, 86_400)
        var (year, month, day) = Civil.civil(days: startDays)
        let secondOfDay = Int(local - startDays * 86_400)
        var hour = secondOfDay / 3600
        var minute = secondOfDay % 3600 / 60
        while year <= lastYear {
            guard e.month.contains(month) else {
                if let next = e.month.next(atOrAbove: month + 1) {
                    month = next
                } else {
                    year += 1
                    month = e.month.next(atOrAbove: 1)!
                }
                (day, hour, minute) = (1, 0, 0)
                continue
            }
            guard day <= Civil.days(inMonth: month, year: year) else {
                month += 1
                if month > 12 { (year, month) = (year + 1, 1) }
                (day, hour, minute) = (1, 0, 0)
                continue
            }
            let days = Civil.days(year: year, month: month, day: day)
            guard e.dayMatches(day: day, weekday: Civil.weekday(days: days)),
                  let nextHour = e.hour.next(atOrAbove: hour)
            else {
                (day, hour, minute) = (day + 1, 0, 0)
                continue
            }
            if nextHour != hour { (hour, minute) = (nextHour, 0) }
            guard let nextMinute = e.minute.next(atOrAbove: minute) else {
                (hour, minute) = (hour + 1, 0)
                continue
            }
            return days * 86_400 + Int64(hour * 3600 + nextMinute * 60)
        }
        return nil
    }

    static func floorDiv(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return value % divisor < 0 ? quotient - 1 : quotient
    }
}
