import Foundation
import RoostBatch
import RoostCore
import RoostCron
import RoostTesting
import Testing

/// The cron scheduler on a simulated cluster and virtual time: minutes of schedule in milliseconds.
///
/// Except for the first test (the timer loop itself), the tests call `runDue()` after moving
/// virtual time, so they do not depend on when a background task runs.
@Suite(.timeLimit(.minutes(1)))
struct CronSchedulerTests {
    @Test func theTimerLoopFiresAtTheScheduledInstantAndRecordsTheOutcome() async throws {
        let sim = await Simulation()
        let scheduler = try await sim.scheduler()
        try await scheduler.add(cronJob("tick"))
        let running = try await sim.start(scheduler, timers: true)
        #expect(await scheduler.status(of: "tick")?.nextRunTime == t(60))
        try await sim.waitForSleep(until: t(60))
        await sim.advance(to: t(60))
        try await waitUntil("the run at +60 s started", timeout: .seconds(45)) { await scheduler.status(of: "tick")?.active.count == 1 }
        let run = try #require(await scheduler.status(of: "tick")?.active.first)
        #expect(run.jobName == "tick-1800000060")
        #expect(run.scheduledTime == t(60) && run.startedAt == t(60), "submitted at the scheduled instant")
        try await sim.drive("the run recorded as succeeded", scheduler, limit: t(90)) { await scheduler.status(of: "tick")?.history.count == 1 }
        let status = try #require(await scheduler.status(of: "tick"))
        #expect(status.history.map(\.outcome) == [.succeeded])
        #expect(status.active.isEmpty && status.missed.isEmpty)
        #expect(status.lastScheduleTime == t(60) && status.nextRunTime == t(120))
        #expect(await scheduler.batch.status(of: "tick-1800000060")?.condition.kind == .succeeded)
        await running.stop()
    }

    @Test func allowStartsARunBesideTheActiveOne() async throws {
        let sim = await Simulation(behavior: { _ in .runForever })
        let scheduler = try await sim.scheduler()
        try await scheduler.add(cronJob("both", policy: .allow))
        let running = try await sim.start(scheduler)
        await sim.tick(scheduler, at: t(59))
        #expect(await scheduler.batch.statuses.isEmpty, "nothing before its time")
        await sim.tick(scheduler, at: t(60))
        await sim.tick(scheduler, at: t(120))
        try await sim.drive("both runs' tasks running", scheduler, limit: t(150)) {
            await scheduler.batch.statuses.filter { $0.active == 1 }.count == 2
        }
        #expect(await scheduler.status(of: "both")?.active.map(\.scheduledTime) == [t(60), t(120)])
        await running.stop()
    }

    @Test func forbidSkipsTheRunWhileOneIsActive() async throws {
        // Each run takes 90 s: the one at +60 s is still running at +120 s.
        let sim = await Simulation(behavior: { _ in .finish(after: .seconds(90)) })
        let scheduler = try await sim.scheduler()
        try await scheduler.add(cronJob("single", policy: .forbid))
        let running = try await sim.start(scheduler)
        await sim.tick(scheduler, at: t(60))
        try await sim.drive("the first run's task running", scheduler, limit: t(100)) {
            await scheduler.batch.status(of: "single-1800000060")?.active == 1
        }
        await sim.tick(scheduler, at: t(120))
        let missed = try #require(await scheduler.status(of: "single")?.missed.first)
        #expect(missed.reason == .concurrencyForbidden && missed.scheduledTime == t(120) && missed.count == 1)
        #expect(missed.message.contains("single-1800000060"))
        #expect(await scheduler.batch.status(of: "single-1800000120") == nil, "no batch job for the skipped run")
        // The first run ends at about +151 s; the run at +180 s starts.
        try await sim.drive("the first run finished", scheduler, limit: t(179)) { await scheduler.status(of: "single")?.history.count == 1 }
        await sim.tick(scheduler, at: t(180))
        #expect(await scheduler.status(of: "single")?.active.map(\.scheduledTime) == [t(180)])
        await running.stop()
    }

    @Test func replaceKillsTheActiveRunAndStartsTheNewOne() async throws {
        let sim = await Simulation(behavior: { _ in .runForever })
        let scheduler = try await sim.scheduler()
        try await scheduler.add(cronJob("latest", policy: .replace))
        let running = try await sim.start(scheduler)
        await sim.tick(scheduler, at: t(60))
        try await sim.drive("the first run's task running", scheduler, limit: t(100)) {
            await scheduler.batch.status(of: "latest-1800000060")?.active == 1
        }
        await sim.tick(scheduler, at: t(120))
        try await sim.drive("the first run's task killed, the second running", scheduler, limit: t(170)) {
            let old = await scheduler.batch.status(of: "latest-1800000060")
            let new = await scheduler.batch.status(of: "latest-1800000120")
            return old?.active == 0 && new?.active == 1
        }
        let status = try #require(await scheduler.status(of: "latest"))
        #expect(status.active.map(\.jobName) == ["latest-1800000120"])
        #expect(status.history.map(\.outcome) == [.replaced])
        #expect(status.history.first?.jobName == "latest-1800000060")
        let old = try #require(await scheduler.batch.status(of: "latest-1800000060"))
        #expect(old.tasks.allSatisfy { $0.state == .killed && $0.outcome == .stopped })
        await running.stop()
    }

    /// A whole day of an every-15-minutes schedule on the simulated cluster, in virtual time:
    /// 96 runs, each a ten-minute task, none missed, none doubled.
    @Test func aSimulatedDayOfQuarterHourRuns() async throws {
        let sim = await Simulation(behavior: { _ in .finish(after: .seconds(600)) })
        let scheduler = try await sim.scheduler()
        try await scheduler.add(cronJob("quarterly", "*/15 * * * *", policy: .forbid, successLimit: 100))
        let running = try await sim.start(scheduler)
        for quarter in 1...96 {
            await sim.tick(scheduler, at: t(Double(quarter * 900)))
            await sim.advance(to: t(Double(quarter * 900 + 601)))
            await scheduler.runDue()
        }
        let status = try #require(await scheduler.status(of: "quarterly"))
        #expect(status.history.count == 96)
        #expect(status.history.allSatisfy { $0.outcome == .succeeded })
        #expect(status.history.first?.scheduledTime == t(900))
        #expect(status.history.last?.scheduledTime == t(86_400))
        #expect(status.missed.isEmpty)
        #expect(await sim.cluster.tasks(in: .finished).count == 96)
        await running.stop()
    }

    @Test func historyLimitsKeepTheNewestRunsAndDeleteTheRest() async throws {
        // Runs scheduled at odd minutes fail, even minutes succeed.
        let sim = await Simulation(behavior: { id in
            let minute = Int(id.split(separator: "-")[1])! / 60
            return minute % 2 == 1 ? .fail(after: .seconds(1), exitCode: 3) : .finish(after: .seconds(1))
        })
        let scheduler = try await sim.scheduler()
        try await scheduler.add(cronJob("kept", successLimit: 2, failedLimit: 1))
        let running = try await sim.start(scheduler)
        for minute in 1...6 {
            await sim.tick(scheduler, at: t(Double(minute * 60)))
            try await sim.drive("run \(minute) finished", scheduler, limit: t(Double(minute * 60 + 30))) {
                await scheduler.status(of: "kept")?.active.isEmpty == true
            }
        }
        let status = try #require(await scheduler.status(of: "kept"))
        // Minutes 1, 3, 5 failed; 2, 4, 6 succeeded. Kept: the newest two successes and newest failure.
        #expect(status.history.map(\.scheduledTime) == [t(240), t(300), t(360)])
        #expect(status.history.map(\.outcome) == [.succeeded, .failed, .succeeded])
        #expect(status.history[1].reason == "BackoffLimitExceeded")
        #expect(status.lastSuccessfulTime != nil)
        #expect(await scheduler.batch.statuses.map(\.name).sorted() == ["kept-1800000240", "kept-1800000300", "kept-1800000360"],
                "older runs' batch jobs deleted")
        await running.stop()
    }

    @Test func suspendedTimesStartOnResumeOnlyWithinTheStartingDeadline() async throws {
        let sim = await Simulation()
        let scheduler = try await sim.scheduler()
        try await scheduler.add(cronJob("paused", startingDeadline: .seconds(30)))
        try await scheduler.suspend("paused")
        let running = try await sim.start(scheduler)
        #expect(await scheduler.status(of: "paused")?.nextRunTime == nil)
        await sim.tick(scheduler, at: t(200))
        #expect(await scheduler.batch.statuses.isEmpty, "nothing runs while suspended")
        // +60 and +120 are more than 30 s late; +180 is 20 s late and starts.
        try await scheduler.resume("paused")
        await scheduler.runDue()
        let status = try #require(await scheduler.status(of: "paused"))
        #expect(status.lastScheduleTime == t(180))
        #expect(status.active.map(\.scheduledTime) == [t(180)])
        #expect(status.active.first?.startedAt == t(200))
        #expect(status.missed.map(\.reason) == [.startingDeadlineExceeded])
        #expect(status.missed.first?.count == 2 && status.missed.first?.scheduledTime == t(120))
        #expect(status.nextRunTime == t(240))
        await running.stop()
    }

    @Test func triggerStartsARunNowUnderTheConcurrencyPolicy() async throws {
        let sim = await Simulation(behavior: { _ in .runForever })
        let scheduler = try await sim.scheduler()
        try await scheduler.add(cronJob("manual", policy: .forbid))
        let running = try await sim.start(scheduler)
        await sim.advance(to: t(10))
        let name = try await scheduler.trigger("manual")
        #expect(name == "manual-1800000010")
        let run = try #require(await scheduler.status(of: "manual")?.active.first)
        #expect(run.manual && run.scheduledTime == t(10))
        #expect(await scheduler.status(of: "manual")?.nextRunTime == t(60), "a manual run does not move the schedule")
        let sameSecond = await #expect(throws: CronSchedulerError.self) { try await scheduler.trigger("manual") }
        #expect(sameSecond?.code == .runExists)
        await sim.advance(to: t(11))
        let forbidden = await #expect(throws: CronSchedulerError.self) { try await scheduler.trigger("manual") }
        #expect(forbidden?.code == .concurrencyForbidden, "Forbid: the manual run at +10 s is still active")
        #expect(await scheduler.batch.statuses.count == 1)
        await running.stop()
    }

    @Test func aManualRunAtAScheduledInstantNeverTakesTheScheduledRunsName() async throws {
        let sim = await Simulation(behavior: { _ in .runForever })
        let scheduler = try await sim.scheduler()
        try await scheduler.add(cronJob("clash"))
        // No timers run: only trigger acts on the schedule.
        await sim.advance(to: t(60))
        let error = await #expect(throws: CronSchedulerError.self) { try await scheduler.trigger("clash") }
        #expect(error?.code == .runExists)
        let status = try #require(await scheduler.status(of: "clash"))
        #expect(status.active.map(\.jobName) == ["clash-1800000060"] && status.active.first?.manual == false,
                "the scheduled run at +60 s started first")
        #expect(await scheduler.batch.statuses.map(\.name) == ["clash-1800000060"])
    }
}
