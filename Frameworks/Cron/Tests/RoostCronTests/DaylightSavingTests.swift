import Foundation
import RoostCron
import Testing

/// Daylight saving: fixed times fire once (skipped ones right after the gap, repeated ones at the
/// first occurrence); schedules with `*` in the minute or hour field follow the clock.
struct DaylightSavingTests {
    // America/New_York: 2026-03-08 02:00 EST → 03:00 EDT; 2026-11-01 02:00 EDT → 01:00 EST.

    @Test func newYorkSkippedTimeFiresAtTheEndOfTheGap() throws {
        #expect(try fires("30 2 * * *", zone: "America/New_York", from: "2026-03-07T12:00:00-05:00", count: 2)
            == ["2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"])
        // Several skipped times fire once, not four times at the same instant.
        #expect(try fires("0,15,30,45 2 * * *", zone: "America/New_York", from: "2026-03-08T00:00:00-05:00", count: 2)
            == ["2026-03-08T03:00:00-04:00", "2026-03-09T02:00:00-04:00"])
        #expect(try fires("30 2,3 * * *", zone: "America/New_York", from: "2026-03-08T00:00:00-05:00", count: 2)
            == ["2026-03-08T03:00:00-04:00", "2026-03-08T03:30:00-04:00"])
    }

    @Test func newYorkRepeatedTimeFiresOnceAtItsFirstOccurrence() throws {
        #expect(try fires("30 1 * * *", zone: "America/New_York", from: "2026-10-31T12:00:00-04:00", count: 2)
            == ["2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"])
        // After the first occurrence, or inside the second pass, the next one is the next day.
        #expect(try fires("30 1 * * *", zone: "America/New_York", from: "2026-11-01T01:45:00-04:00", count: 1)
            == ["2026-11-02T01:30:00-05:00"])
        #expect(try fires("30 1 * * *", zone: "America/New_York", from: "2026-11-01T01:10:00-05:00", count: 1)
            == ["2026-11-02T01:30:00-05:00"])
    }

    @Test func newYorkClockFollowingSchedules() throws {
        // Both passes through the repeated hour are distinct instants.
        #expect(try fires("*/30 * * * *", zone: "America/New_York", from: "2026-11-01T00:45:00-04:00", count: 6) == [
            "2026-11-01T01:00:00-04:00", "2026-11-01T01:30:00-04:00", "2026-11-01T01:00:00-05:00",
            "2026-11-01T01:30:00-05:00", "2026-11-01T02:00:00-05:00", "2026-11-01T02:30:00-05:00",
        ])
        // Starting inside the first pass still finds the second pass.
        #expect(try fires("*/30 * * * *", zone: "America/New_York", from: "2026-11-01T01:40:00-04:00", count: 2)
            == ["2026-11-01T01:00:00-05:00", "2026-11-01T01:30:00-05:00"])
        #expect(try fires("30 * * * *", zone: "America/New_York", from: "2026-11-01T00:45:00-04:00", count: 3)
            == ["2026-11-01T01:30:00-04:00", "2026-11-01T01:30:00-05:00", "2026-11-01T02:30:00-05:00"])
        // Skipped minutes do not exist.
        #expect(try fires("*/30 * * * *", zone: "America/New_York", from: "2026-03-08T01:00:00-05:00", count: 3)
            == ["2026-03-08T01:30:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-08T03:30:00-04:00"])
        #expect(try fires("30 * * * *", zone: "America/New_York", from: "2026-03-08T01:00:00-05:00", count: 2)
            == ["2026-03-08T01:30:00-05:00", "2026-03-08T03:30:00-04:00"])
        // A `*` in the minute field makes even a fixed hour follow the clock: nothing at 02:xx that day.
        #expect(try fires("*/20 2 * * *", zone: "America/New_York", from: "2026-03-08T00:00:00-05:00", count: 1)
            == ["2026-03-09T02:00:00-04:00"])
    }

    // Europe/Berlin: 2026-03-29 02:00 CET → 03:00 CEST; 2026-10-25 03:00 CEST → 02:00 CET.

    @Test func berlinSpringForwardAndFallBack() throws {
        #expect(try fires("30 2 * * *", zone: "Europe/Berlin", from: "2026-03-28T12:00:00+01:00", count: 2)
            == ["2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"])
        #expect(try fires("30 2 * * *", zone: "Europe/Berlin", from: "2026-10-24T12:00:00+02:00", count: 2)
            == ["2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"])
        #expect(try fires("*/30 * * * *", zone: "Europe/Berlin", from: "2026-10-25T01:45:00+02:00", count: 5) == [
            "2026-10-25T02:00:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-25T02:00:00+01:00",
            "2026-10-25T02:30:00+01:00", "2026-10-25T03:00:00+01:00",
        ])
        // The exact instants, not only their formatting.
        let schedule = try CronSchedule(parsing: "30 2 * * *", timeZone: "Europe/Berlin")
        #expect(schedule.next(after: at("2026-03-28T12:00:00Z")) == at("2026-03-29T01:00:00Z"))
        #expect(schedule.next(after: at("2026-10-24T12:00:00Z")) == at("2026-10-25T00:30:00Z"))
    }

    // Australia/Sydney (southern hemisphere): 2026-04-05 03:00 AEDT → 02:00 AEST; 2026-10-04 02:00 AEST → 03:00 AEDT.

    @Test func sydneyFallBackInAprilAndSpringForwardInOctober() throws {
        #expect(try fires("30 2 * * *", zone: "Australia/Sydney", from: "2026-04-04T12:00:00+11:00", count: 2)
            == ["2026-04-05T02:30:00+11:00", "2026-04-06T02:30:00+10:00"])
        #expect(try fires("30 2 * * *", zone: "Australia/Sydney", from: "2026-10-03T12:00:00+10:00", count: 2)
            == ["2026-10-04T03:00:00+11:00", "2026-10-05T02:30:00+11:00"])
    }

    @Test func changesAtMidnightAndHalfHourChanges() throws {
        // America/Santiago: 2026-09-06 00:00 -04 → 01:00 -03, so midnight does not exist that day.
        #expect(try fires("@daily", zone: "America/Santiago", from: "2026-09-04T12:00:00-04:00", count: 3)
            == ["2026-09-05T00:00:00-04:00", "2026-09-06T01:00:00-03:00", "2026-09-07T00:00:00-03:00"])
        // Australia/Lord_Howe: 2026-04-05 02:00 +11 → 01:30 +10:30 repeats half an hour.
        #expect(try fires("*/15 * * * *", zone: "Australia/Lord_Howe", from: "2026-04-05T01:20:00+11:00", count: 5) == [
            "2026-04-05T01:30:00+11:00", "2026-04-05T01:45:00+11:00", "2026-04-05T01:30:00+10:30",
            "2026-04-05T01:45:00+10:30", "2026-04-05T02:00:00+10:30",
        ])
        #expect(try fires("45 1 * * *", zone: "Australia/Lord_Howe", from: "2026-04-05T00:00:00+11:00", count: 2)
            == ["2026-04-05T01:45:00+11:00", "2026-04-06T01:45:00+10:30"])
    }

    @Test func unaffectedTimesAndZonesWithoutDaylightSaving() throws {
        #expect(try fires("0 9 * * MON-FRI", zone: "Europe/Berlin", from: "2026-03-27T10:00:00+01:00", count: 2)
            == ["2026-03-30T09:00:00+02:00", "2026-03-31T09:00:00+02:00"])
        #expect(try fires("0 9 * * *", zone: "Asia/Kolkata", from: "2026-03-08T00:00:00Z", count: 1)
            == ["2026-03-08T09:00:00+05:30"])
    }
}
