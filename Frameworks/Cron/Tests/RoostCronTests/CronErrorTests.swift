import RoostCron
import Testing

/// Invalid expressions and zones: the code and the exact message a user sees.
struct CronErrorTests {
    @Test(arguments: [
        ("0 0 32 * *", CronError.Code.fieldOutOfRange, "day-of-month 32 is out of range 1–31"),
        ("60 * * * *", .fieldOutOfRange, "minute 60 is out of range 0–59"),
        ("0 24 * * *", .fieldOutOfRange, "hour 24 is out of range 0–23"),
        ("0 0 0 * *", .fieldOutOfRange, "day-of-month 0 is out of range 1–31"),
        ("0 0 * 13 *", .fieldOutOfRange, "month 13 is out of range 1–12"),
        ("0 0 * * 8", .fieldOutOfRange, "day-of-week 8 is out of range 0–7"),
        ("*/0 * * * *", .fieldOutOfRange, "minute step 0 is out of range 1–60"),
        ("0 17-9 * * *", .fieldOutOfRange, "hour range 17-9 goes backwards; write it as two ranges, such as 17-23,0-9"),
        ("0 0 1 FOO *", .unknownName, "month \"FOO\" is not a month name (JAN–DEC)"),
        ("0 0 * * MONDAY", .unknownName, "day-of-week \"MONDAY\" is not a day name (SUN–SAT)"),
        ("@fortnightly", .unknownName, "\"@fortnightly\" is not a cron macro (@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)"),
        ("@reboot", .unknownName, "@reboot has no fire times; use a time schedule such as @daily"),
        ("0 0 * * * *", .wrongFieldCount, "expected 5 fields (minute hour day-of-month month day-of-week), got 6"),
        ("0 0 * *", .wrongFieldCount, "expected 5 fields (minute hour day-of-month month day-of-week), got 4"),
        ("", .wrongFieldCount, "expected 5 fields (minute hour day-of-month month day-of-week), got 0"),
        ("a * * * *", .badSyntax, "minute \"a\" is not a number"),
        ("0 0 ? * MON", .badSyntax, "day-of-month \"?\" is not a number (Quartz extensions such as ?, L, W and # are not cron syntax)"),
        ("1,,2 * * * *", .badSyntax, "minute \"1,,2\" has an empty list item"),
        ("*/ * * * *", .badSyntax, "minute step \"\" in \"*/\" is not a number"),
        ("1-2-3 * * * *", .badSyntax, "minute \"1-2-3\" is not a value or a range such as 1-5"),
        ("-5 * * * *", .badSyntax, "minute \"-5\" is missing a number"),
        ("0 0 30 2 *", .impossibleSchedule, "day-of-month 30 never occurs in FEB (at most 29 days), so the schedule never fires"),
        ("0 0 31 4,6,9,11 *", .impossibleSchedule, "day-of-month 31 never occurs in APR, JUN, SEP, NOV (at most 30 days), so the schedule never fires"),
    ])
    func rejected(expression: String, code: CronError.Code, message: String) {
        let error = parseError(expression)
        #expect(error?.code == code)
        #expect(error?.message == message)
    }

    @Test func possibleOnlyThroughTheOtherDayField() throws {
        // Both day fields restricted: any Monday in February will do, so this is not impossible.
        #expect(parseError("0 0 30 2 MON") == nil)
        // Feb 29 exists in leap years.
        #expect(parseError("0 0 29 2 *") == nil)
    }

    @Test func unknownTimeZoneIsNamed() {
        let error = parseError("0 0 * * *", zone: "Mars/Olympus_Mons")
        #expect(error?.code == .unknownTimeZone)
        #expect(error?.message == "time zone \"Mars/Olympus_Mons\" is not a known IANA zone name (such as UTC or Europe/Berlin)")
        #expect(error?.description == "unknownTimeZone: " + (error?.message ?? ""))
    }
}
