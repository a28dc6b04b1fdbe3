import Testing

/// `roost cron next` as a user runs it.
@Suite(.timeLimit(.minutes(1)))
struct CronCommandTests {
    @Test func nextPrintsFireTimesInTheZoneWithTheOffset() throws {
        let result = try RoostBinary.run([
            "cron", "next", "30 2 * * *", "--tz", "Europe/Berlin", "--from", "2026-03-28T00:00:00Z", "--count", "3",
        ])
        #expect(result.status == 0)
        // 02:30 does not exist on 2026-03-29 in Berlin: it fires right after the gap.
        #expect(result.stdout == "2026-03-28T02:30:00+01:00\n2026-03-29T03:00:00+02:00\n2026-03-30T02:30:00+02:00\n")
    }

    @Test func nextDefaultsToFiveTimesInUTC() throws {
        let result = try RoostBinary.run(["cron", "next", "@monthly", "--from", "2026-01-15T12:00:00Z"])
        #expect(result.status == 0)
        #expect(result.stdout.split(separator: "\n") == [
            "2026-02-01T00:00:00+00:00", "2026-03-01T00:00:00+00:00", "2026-04-01T00:00:00+00:00",
            "2026-05-01T00:00:00+00:00", "2026-06-01T00:00:00+00:00",
        ])
    }

    @Test func badInputFailsWithTheReason() throws {
        let expression = try RoostBinary.run(["cron", "next", "0 0 32 * *"])
        #expect(expression.status != 0)
        #expect(expression.stdout.isEmpty)
        #expect(expression.stderr.contains("day-of-month 32 is out of range 1–31"))
        let zone = try RoostBinary.run(["cron", "next", "@daily", "--tz", "Mars/Olympus_Mons"])
        #expect(zone.status != 0)
        #expect(zone.stderr.contains("\"Mars/Olympus_Mons\""))
        let from = try RoostBinary.run(["cron", "next", "@daily", "--from", "yesterday"])
        #expect(from.status != 0)
        #expect(from.stderr.contains("--from \"yesterday\""))
        let count = try RoostBinary.run(["cron", "next", "@daily", "--count", "0"])
        #expect(count.status != 0)
        #expect(count.stderr.contains("--count must be 1 or more"))
    }
}
