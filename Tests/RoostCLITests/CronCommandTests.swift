import Foundation
import Testing

/// `roost cron next` and `roost cron validate` as a user runs them.
@Suite(.timeLimit(.minutes(1)))
struct CronCommandTests {
    @Test func nextPrintsFireTimesInTheZoneWithTheOffset() async throws {
        let result = try await RoostBinary.run([
            "cron", "next", "30 2 * * *", "--tz", "Europe/Berlin", "--from", "2026-03-28T00:00:00Z", "--count", "3",
        ])
        #expect(result.status == 0)
        // 02:30 does not exist on 2026-03-29 in Berlin: it fires right after the gap.
        #expect(result.stdout == "2026-03-28T02:30:00+01:00\n2026-03-29T03:00:00+02:00\n2026-03-30T02:30:00+02:00\n")
    }

    @Test func nextDefaultsToFiveTimesInUTC() async throws {
        let result = try await RoostBinary.run(["cron", "next", "@monthly", "--from", "2026-01-15T12:00:00Z"])
        #expect(result.status == 0)
        #expect(result.stdout.split(separator: "\n") == [
            "2026-02-01T00:00:00+00:00", "2026-03-01T00:00:00+00:00", "2026-04-01T00:00:00+00:00",
            "2026-05-01T00:00:00+00:00", "2026-06-01T00:00:00+00:00",
        ])
    }

    @Test func badInputFailsWithTheReason() async throws {
        let expression = try await RoostBinary.run(["cron", "next", "0 0 32 * *"])
        #expect(expression.status != 0)
        #expect(expression.stdout.isEmpty)
        #expect(expression.stderr.contains("day-of-month 32 is out of range 1–31"))
        let zone = try await RoostBinary.run(["cron", "next", "@daily", "--tz", "Mars/Olympus_Mons"])
        #expect(zone.status != 0)
        #expect(zone.stderr.contains("\"Mars/Olympus_Mons\""))
        let from = try await RoostBinary.run(["cron", "next", "@daily", "--from", "yesterday"])
        #expect(from.status != 0)
        #expect(from.stderr.contains("--from \"yesterday\""))
        let count = try await RoostBinary.run(["cron", "next", "@daily", "--count", "0"])
        #expect(count.status != 0)
        #expect(count.stderr.contains("--count must be 1 or more"))
    }

    @Test func validatePrintsCronJobsWithDefaultsAndRejectsTyposNamingTheField() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("roost-cron-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try "- {name: tick, schedule: '*/5 * * * *', jobTemplate: {command: 'true'}}\n".write(toFile: "\(folder)/good.yaml", atomically: true, encoding: .utf8)
        try "name: tick\nschedule: '@daily'\njobTemplate: {command: 'true'}\nsuspnd: true\n".write(toFile: "\(folder)/bad.yaml", atomically: true, encoding: .utf8)
        let good = try await RoostBinary.run(["cron", "validate", "\(folder)/good.yaml"])
        #expect(good.status == 0, "stderr: \(good.stderr)")
        #expect(good.stdout.contains("\"concurrencyPolicy\" : \"Allow\"") && good.stdout.contains("\"successfulJobsHistoryLimit\" : 3"))
        for command in ["validate", "run"] {
            let bad = try await RoostBinary.run(["cron", command, "\(folder)/bad.yaml"])
            #expect(bad.status == 2)
            #expect(bad.stderr.contains("unknown field 'suspnd' in cron job 'tick' (did you mean 'suspend'?)"), "\(bad.stderr)")
        }
    }
}
