import Foundation
import RoostBatch
import RoostCore
import RoostCron
import RoostTesting
import Testing

/// Scheduler restarts and failovers on a simulated cluster: schedule state comes from the store.
@Suite(.timeLimit(.minutes(1)))
struct FailoverTests {
    @Test func aNewSchedulerNeitherFiresATimeTwiceNorDropsOne() async throws {
        let sim = await Simulation(behavior: { _ in .finish(after: .seconds(45)) })
        let first = try await sim.scheduler()
        try await first.add(cronJob("handover"))
        let one = try await sim.start(first)
        await sim.tick(first, at: t(60))
        try await sim.drive("the first run's task running", first, limit: t(80)) {
            await first.batch.status(of: "handover-1800000060")?.active == 1
        }
        await one.stop()
        await sim.advance(to: t(90))
        let second = try await sim.scheduler()
        #expect(await second.frameworkInfo.id == first.frameworkInfo.id, "the same framework, failed over")
        #expect(await second.status(of: "handover")?.active.map(\.jobName) == ["handover-1800000060"])
        let two = try await sim.start(second)
        // The new scheduler's next time is +120 s; +60 s does not fire again.
        #expect(await second.runDue() == t(120))
        #expect(await second.status(of: "handover")?.lastScheduleTime == t(60))
        await sim.tick(second, at: t(120))
        try await sim.drive("both runs finished", second, limit: t(175)) { await second.status(of: "handover")?.active.isEmpty == true }
        let status = try #require(await second.status(of: "handover"))
        #expect(status.history.map(\.jobName) == ["handover-1800000060", "handover-1800000120"])
        #expect(status.history.allSatisfy { $0.outcome == .succeeded })
        let frameworkID = try #require(await second.frameworkInfo.id)
        #expect(await sim.cluster.counters(of: frameworkID).tasksLaunched == 2, "one task per scheduled time across both schedulers")
        await two.stop()
    }

    @Test func missedTimesAfterDowntimeStartWithinTheStartingDeadline() async throws {
        let sim = await Simulation()
        let first = try await sim.scheduler()
        try await first.add(cronJob("catchup", startingDeadline: .seconds(150)))
        let one = try await sim.start(first)
        await sim.tick(first, at: t(60))
        try await sim.drive("the run at +60 s finished", first, limit: t(90)) { await first.status(of: "catchup")?.history.count == 1 }
        await one.stop()
        // Ten minutes down: +120 … +660 pass with no scheduler.
        await sim.advance(to: t(665))
        let second = try await sim.scheduler()
        let two = try await sim.start(second)
        await second.runDue()
        let status = try #require(await second.status(of: "catchup"))
        #expect(status.lastScheduleTime == t(660))
        // Within 150 s of +665: +540, +600, +660 start; +120 … +480 (7 times) are missed.
        #expect(status.active.map(\.scheduledTime) == [t(540), t(600), t(660)])
        #expect(status.missed.count == 1)
        let missed = try #require(status.missed.first)
        #expect(missed.reason == .startingDeadlineExceeded && missed.count == 7 && missed.scheduledTime == t(480))
        #expect(missed.message.contains("2027-01-15T08:02:00+00:00") && missed.message.contains("2027-01-15T08:08:00+00:00"))
        try await sim.drive("the three late runs finished", second, limit: t(700)) { await second.status(of: "catchup")?.active.isEmpty == true }
        #expect(await second.status(of: "catchup")?.history.map(\.scheduledTime) == [t(540), t(600), t(660)],
                "the +60 s run dropped by successfulJobsHistoryLimit 3")
        await two.stop()
    }

    @Test func moreThanAHundredMissedTimesAreRecordedOnceAndOnlyTheLatestStarts() async throws {
        let sim = await Simulation()
        let scheduler = try await sim.scheduler()
        try await scheduler.add(cronJob("long-gone"))
        let running = try await sim.start(scheduler)
        // 200 minutes pass before the scheduler first acts.
        await sim.tick(scheduler, at: t(200 * 60 + 30))
        let status = try #require(await scheduler.status(of: "long-gone"))
        #expect(status.lastScheduleTime == t(200 * 60))
        #expect(status.active.map(\.scheduledTime) == [t(200 * 60)], "only the latest time starts")
        #expect(status.missed.map(\.reason) == [.tooManyMissed])
        #expect(status.missed.first?.count == 199 && status.missed.first?.scheduledTime == t(199 * 60))
        #expect(await scheduler.batch.statuses.count == 1)
        await running.stop()
    }

    @Test func aRunRecordedButNeverSubmittedIsSubmittedByTheNextScheduler() async throws {
        let sim = await Simulation()
        let first = try await sim.scheduler()
        try await first.add(cronJob("recorded"))
        await sim.tick(first, at: t(60))
        // As if the first scheduler died after storing the run and before submitting it: the
        // run's batch record is not in the store.
        let batchRecord = StateKey("frameworks/cron/cron/runs/cron/jobs/recorded-1800000060")
        #expect(try await sim.store.delete(batchRecord, expecting: .any), "the batch record existed")
        let second = try await sim.scheduler()
        #expect(await second.batch.status(of: "recorded-1800000060") == nil)
        #expect(await second.status(of: "recorded")?.active.map(\.jobName) == ["recorded-1800000060"])
        let running = try await sim.start(second)
        try await sim.drive("the recorded run submitted and finished", second, limit: t(90)) {
            await second.status(of: "recorded")?.history.first?.outcome == .succeeded
        }
        #expect(await second.status(of: "recorded")?.lastScheduleTime == t(60), "the time is not fired again")
        #expect(await second.batch.statuses.map(\.name) == ["recorded-1800000060"])
        await running.stop()
    }

    @Test func aRecordedRunPastItsStartingDeadlineIsRecordedAsMissedNotStarted() async throws {
        let sim = await Simulation()
        let first = try await sim.scheduler()
        try await first.add(cronJob("too-late", startingDeadline: .seconds(20)))
        await sim.tick(first, at: t(60))
        #expect(try await sim.store.delete(StateKey("frameworks/cron/cron/runs/cron/jobs/too-late-1800000060"), expecting: .any))
        await sim.advance(to: t(90))
        let second = try await sim.scheduler()
        let running = try await sim.start(second)
        await second.runDue()
        let status = try #require(await second.status(of: "too-late"))
        #expect(status.active.isEmpty && status.history.isEmpty)
        #expect(status.missed.map(\.reason) == [.startingDeadlineExceeded] && status.missed.first?.scheduledTime == t(60))
        #expect(await second.batch.statuses.isEmpty, "a run 30 s late with a 20 s deadline does not start")
        await running.stop()
    }

    @Test func aSchedulerThatWasFailedOverStopsActingOnTheCronJob() async throws {
        let sim = await Simulation()
        let old = try await sim.scheduler()
        try await old.add(cronJob("fenced"))
        let new = try await sim.scheduler()
        try await new.suspend("fenced")
        let error = await #expect(throws: CronSchedulerError.self) { try await old.trigger("fenced") }
        #expect(error?.code == .fenced)
        await sim.advance(to: t(60))
        await old.runDue()
        #expect(await old.batch.statuses.isEmpty, "the old scheduler starts nothing")
        #expect(await new.status(of: "fenced")?.suspended == true)
    }
}
