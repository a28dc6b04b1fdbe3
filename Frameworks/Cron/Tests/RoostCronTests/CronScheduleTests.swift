import Foundation
import RoostCron
import RoostTesting
import Testing

/// Next-fire search in UTC: the day-of-month / day-of-week rule, leap days, short months, bounds.
struct CronScheduleTests {
    @Test func strictlyAfter() throws {
        let schedule = try CronSchedule(parsing: "0 9 * * *")
        #expect(schedule.next(after: at("2026-01-01T09:00:00Z")) == at("2026-01-02T09:00:00Z"))
        #expect(schedule.next(after: at("2026-01-01T08:59:59Z")) == at("2026-01-01T09:00:00Z"))
        #expect(schedule.next(after: at("2026-01-01T08:59:59Z").addingTimeInterval(0.999)) == at("2026-01-01T09:00:00Z"))
        #expect(schedule.next(after: at("2026-01-01T09:00:00Z").addingTimeInterval(0.5)) == at("2026-01-02T09:00:00Z"))
    }

    @Test func dayOfMonthOrDayOfWeekWhenBothAreRestricted() throws {
        // Every 13th and every Friday: 2026-04-13 is a Monday.
        #expect(try fires("0 0 13 * FRI", from: "2026-03-14T00:00:00Z", count: 6) == [
            "2026-03-20T00:00:00+00:00", "2026-03-27T00:00:00+00:00", "2026-04-03T00:00:00+00:00",
            "2026-04-10T00:00:00+00:00", "2026-04-13T00:00:00+00:00", "2026-04-17T00:00:00+00:00",
        ])
        // A range covering every day is still a restriction: every day matches.
        #expect(try fires("0 0 1-31 * FRI", from: "2026-03-14T00:00:00Z", count: 2)
            == ["2026-03-15T00:00:00+00:00", "2026-03-16T00:00:00+00:00"])
    }

    @Test func aFieldStartingWithStarLeavesTheOtherToDecide() throws {
        #expect(try fires("0 0 13 * *", from: "2026-03-14T00:00:00Z", count: 2)
            == ["2026-04-13T00:00:00+00:00", "2026-05-13T00:00:00+00:00"])
        #expect(try fires("0 0 * * FRI", from: "2026-03-14T00:00:00Z", count: 2)
            == ["2026-03-20T00:00:00+00:00", "2026-03-27T00:00:00+00:00"])
        // Vixie: `*/2` starts with `*`, so a day must match both fields: odd days that are Fridays.
        #expect(try fires("0 0 */2 * FRI", from: "2026-03-01T00:00:00Z", count: 4) == [
            "2026-03-13T00:00:00+00:00", "2026-03-27T00:00:00+00:00", "2026-04-03T00:00:00+00:00", "2026-04-17T00:00:00+00:00",
        ])
    }

    @Test func leapDaysAreFoundYearsAhead() throws {
        let schedule = try CronSchedule(parsing: "0 0 29 2 *")
        // 2100 is not a leap year: from 2097 the next 29 February is in 2104.
        #expect(schedule.next(after: at("2097-01-01T00:00:00Z")) == at("2104-02-29T00:00:00Z"))
        #expect(schedule.next(after: at("2024-02-29T00:00:00Z")) == at("2028-02-29T00:00:00Z"))
        #expect(schedule.nextTimes(after: at("2000-01-01T00:00:00Z"), count: 3) == [
            at("2000-02-29T00:00:00Z"), at("2004-02-29T00:00:00Z"), at("2008-02-29T00:00:00Z"),
        ])
    }

    @Test func shortMonthsAreSkipped() throws {
        #expect(try fires("0 0 31 * *", from: "2026-03-31T00:00:00Z", count: 5) == [
            "2026-05-31T00:00:00+00:00", "2026-07-31T00:00:00+00:00", "2026-08-31T00:00:00+00:00",
            "2026-10-31T00:00:00+00:00", "2026-12-31T00:00:00+00:00",
        ])
        #expect(try fires("0 0 30 * *", from: "2026-01-30T00:00:00Z", count: 2)
            == ["2026-03-30T00:00:00+00:00", "2026-04-30T00:00:00+00:00"])
    }

    @Test func yearEndAndBeforeTheEpoch() throws {
        #expect(try fires("59 23 31 12 *", from: "2026-12-31T23:59:00Z", count: 1) == ["2027-12-31T23:59:00+00:00"])
        #expect(try fires("0 12 * * MON", from: "1969-12-31T00:00:00Z", count: 1) == ["1970-01-05T12:00:00+00:00"])
        #expect(try fires("@yearly", from: "1899-06-01T00:00:00Z", count: 1) == ["1900-01-01T00:00:00+00:00"])
    }

    @Test func nextTimesCountsAndOutOfRangeStartsGiveNothing() throws {
        let schedule = try CronSchedule(parsing: "@hourly")
        #expect(schedule.nextTimes(after: at("2026-01-01T00:00:00Z"), count: 0) == [])
        #expect(schedule.nextTimes(after: at("2026-01-01T00:00:00Z"), count: 3)
            == [at("2026-01-01T01:00:00Z"), at("2026-01-01T02:00:00Z"), at("2026-01-01T03:00:00Z")])
        #expect(schedule.next(after: Date(timeIntervalSince1970: .infinity)) == nil)
        #expect(schedule.next(after: Date(timeIntervalSince1970: .nan)) == nil)
    }

    /// The engine agrees with a minute-by-minute scan using Foundation's calendar, for random expressions.
    @Test func agreesWithAMinuteByMinuteScanInUTC() throws {
        var random = SplitMix64(seed: 2026)
        var calendar = Foundation.Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        for _ in 0..<40 {
            let generated = RandomExpression(using: &random)
            let schedule = try CronSchedule(parsing: generated.text)
            let offset: Int = random.int(in: 0...400) * 86_400 + random.int(in: 0...1439) * 60
            let start = at("2026-01-01T00:00:00Z").addingTimeInterval(TimeInterval(offset))
            var expected: Date?
            var minute = start.addingTimeInterval(60)
            for _ in 0..<(3 * 1440) where expected == nil {
                let parts = calendar.dateComponents([.minute, .hour, .day, .month, .weekday], from: minute)
                if generated.matches(parts) { expected = minute }
                minute.addTimeInterval(60)
            }
            let next = schedule.next(after: start)
            if let expected {
                #expect(next == expected, "\(generated.text) after \(start)")
            } else {
                #expect(next.map { $0 >= minute } == true, "\(generated.text) after \(start)")
            }
        }
    }
}

/// A random expression and an independent matcher for it.
struct RandomExpression {
    var minutes: [Int]?, hours: [Int]?, days: [Int]?, months: [Int]?, weekdays: [Int]?

    init(using random: inout SplitMix64) {
        func pick(_ range: ClosedRange<Int>, star: Int, random: inout SplitMix64) -> [Int]? {
            if random.chance(star) { return nil }
            let values = (0..<random.int(in: 1...4)).map { _ in random.int(in: range) }
            return Array(Set(values)).sorted()
        }
        minutes = pick(0...59, star: 30, random: &random)
        hours = pick(0...23, star: 40, random: &random)
        days = pick(1...28, star: 60, random: &random)
        months = pick(1...12, star: 80, random: &random)
        weekdays = pick(0...6, star: 60, random: &random)
    }

    var text: String {
        let fields: [[Int]?] = [minutes, hours, days, months, weekdays]
        return fields.map { (field: [Int]?) -> String in
            guard let field else { return "*" }
            return field.map { String($0) }.joined(separator: ",")
        }.joined(separator: " ")
    }

    func matches(_ parts: DateComponents) -> Bool {
        func ok(_ set: [Int]?, _ value: Int?) -> Bool { set.map { $0.contains(value!) } ?? true }
        let weekday = parts.weekday! - 1
        let dayOK: Bool
        if let days, let weekdays {
            dayOK = days.contains(parts.day!) || weekdays.contains(weekday)
        } else {
            dayOK = ok(days, parts.day) && ok(weekdays, weekday)
        }
        return ok(minutes, parts.minute) && ok(hours, parts.hour) && ok(months, parts.month) && dayOK
    }
}
