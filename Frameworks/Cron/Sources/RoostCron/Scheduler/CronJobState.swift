import FoundationEssentials
import RoostBatch
import RoostCore

/// One cron job's schedule state, as stored: the pure core of the ``CronScheduler``.
///
/// Its `mutating` methods take `now` and return what to do with the batch scheduler
/// (runs to submit, runs to stop); the actor stores the new state *before* acting on it, so
/// a scheduler that takes over from the store never fires a scheduled time twice.
struct CronJobState: Codable, Hashable, Sendable {
    /// The spec.
    var spec: CronJob
    /// When the cron job was added: the schedule counts from here until the first run.
    var createdAt: Timestamp
    /// The latest scheduled time acted on (started, or recorded as missed).
    var lastScheduleTime: Timestamp?
    /// Runs submitted (or decided and about to be) and not finished, oldest first.
    var active: [CronRun] = []
    /// Finished runs within the history limits, oldest first.
    var history: [CronRun] = []
    /// The most recent missed runs, oldest first.
    var missed: [MissedRun] = []
    /// Batch jobs to stop (replaced runs): suspended until their tasks have ended.
    var stopping: [String] = []
    /// Batch jobs to delete (runs past the history limits), once none of their tasks is active.
    var deleting: [String] = []

    /// What the scheduler must do after a change.
    struct Actions: Equatable {
        /// Runs to submit, in order.
        var submit: [CronRun] = []
        /// Batch jobs to stop (kill their tasks).
        var stop: [String] = []
    }

    /// The next scheduled time after the last one acted on; `nil` while suspended.
    var nextRunTime: Timestamp? {
        guard !spec.suspend else { return nil }
        return spec.schedule.next(after: (lastScheduleTime ?? createdAt).date).map(Timestamp.init)
    }

    var status: CronJobStatus {
        CronJobStatus(
            name: spec.name, schedule: "\(spec.schedule) (\(spec.schedule.timeZone.identifier))", suspended: spec.suspend,
            nextRunTime: nextRunTime, lastScheduleTime: lastScheduleTime,
            lastSuccessfulTime: history.last(where: \.isSuccess)?.finishedAt, active: active, history: history, missed: missed)
    }

    /// Acts on every scheduled time in (last scheduled time, `now`]: starts those the
    /// starting deadline and the concurrency policy allow and records the others as missed.
    /// More than `maxReplays` times are not replayed one by one: they are recorded as one
    /// miss and only the latest is considered (Kubernetes' rule for more than 100).
    mutating func fireDue(now: Timestamp, maxReplays: Int, missedLimit: Int) -> Actions {
        guard !spec.suspend else { return Actions() }
        var times: [Timestamp] = []
        var count = 0
        var first: Timestamp?
        var previous: Timestamp?
        var latest: Timestamp?
        var cursor = (lastScheduleTime ?? createdAt).date
        while let next = spec.schedule.next(after: cursor), next.timeIntervalSince1970 <= now.secondsSinceEpoch {
            let time = Timestamp(next)
            count += 1
            if first == nil { first = time }
            if times.count <= maxReplays { times.append(time) }
            previous = latest
            latest = time
            cursor = next
        }
        guard let latest, let first else { return Actions() }
        lastScheduleTime = latest
        var candidates = times
        if count > maxReplays {
            let message = "\(count - 1) runs from \(format(first)) to \(format(previous ?? first)) were missed; "
                + "more than \(maxReplays) are not replayed: only the latest, \(format(latest)), is considered"
            recordMissed(previous ?? first, count: count - 1, .tooManyMissed, message, now: now, limit: missedLimit)
            candidates = [latest]
        }
        if let deadline = spec.startingDeadline {
            let late = candidates.filter { now > $0.advanced(by: deadline) }
            if let last = late.last {
                let which = late.count == 1 ? format(last) : "\(late.count) runs from \(format(late[0])) to \(format(last))"
                recordMissed(last, count: late.count, .startingDeadlineExceeded,
                             "\(which) could not start within startingDeadlineSeconds (\(deadline.seconds)); it is now \(format(now))",
                             now: now, limit: missedLimit)
                candidates.removeAll { now > $0.advanced(by: deadline) }
            }
        }
        guard let newest = candidates.last else { return Actions() }
        var actions = Actions()
        let earlier = Array(candidates.dropLast())
        switch spec.concurrencyPolicy {
        case .allow:
            for time in candidates { actions.submit.append(start(at: time, now: now, manual: false)) }
        case .forbid:
            if let running = active.first {
                recordMissed(newest, count: candidates.count, .concurrencyForbidden,
                             "\(describe(candidates)) skipped: run \(running.jobName) is still active and concurrencyPolicy is Forbid",
                             now: now, limit: missedLimit)
            } else {
                if !earlier.isEmpty {
                    recordMissed(earlier[earlier.count - 1], count: earlier.count, .concurrencyForbidden,
                                 "\(describe(earlier)) skipped: only the latest time of a catch-up runs when concurrencyPolicy is Forbid",
                                 now: now, limit: missedLimit)
                }
                actions.submit.append(start(at: newest, now: now, manual: false))
            }
        case .replace:
            if !earlier.isEmpty {
                recordMissed(earlier[earlier.count - 1], count: earlier.count, .replacedBeforeStart,
                             "\(describe(earlier)) replaced before starting by the later time \(format(newest)) (concurrencyPolicy Replace)",
                             now: now, limit: missedLimit)
            }
            let run = start(at: newest, now: now, manual: false)
            actions.stop = replaceActive(by: run, now: now)
            actions.submit.append(run)
        }
        trimHistory()
        return actions
    }

    /// Starts a manual run now (``CronScheduler/trigger(_:)``), under the concurrency policy.
    mutating func trigger(now: Timestamp) throws(CronSchedulerError) -> Actions {
        let name = spec.runName(at: now)
        if active.contains(where: { $0.jobName == name }) || history.contains(where: { $0.jobName == name }) {
            throw CronSchedulerError(.runExists, "a run named \(name) exists (runs are named by the second they start); try again in a second")
        }
        var actions = Actions()
        switch spec.concurrencyPolicy {
        case .allow:
            break
        case .forbid:
            if let running = active.first {
                throw CronSchedulerError(.concurrencyForbidden, "cron job \(spec.name) has an active run, \(running.jobName), and concurrencyPolicy is Forbid; wait for it to finish")
            }
        case .replace:
            actions.stop = replaceActive(by: CronRun(jobName: name, scheduledTime: now, startedAt: now, manual: true), now: now)
        }
        actions.submit.append(start(at: now, now: now, manual: true))
        trimHistory()
        return actions
    }

    /// Records the end of an active run from its batch job's final status.
    mutating func finish(_ jobName: String, status: JobStatus, now: Timestamp) {
        guard let index = active.firstIndex(where: { $0.jobName == jobName }) else { return }
        var run = active.remove(at: index)
        run.finishedAt = status.completionTime ?? now
        run.outcome = status.condition.kind == .succeeded ? .succeeded : .failed
        run.reason = status.failureReason?.name
        run.message = status.condition.message
        history.append(run)
        trimHistory()
    }

    /// Gives up a run that was recorded but never submitted (a scheduler stopped in between)
    /// once it is past its starting deadline: it is recorded as missed instead.
    /// Returns whether it was given up; a manual run or one without a deadline never is.
    mutating func abandonIfLate(_ jobName: String, now: Timestamp, limit: Int) -> Bool {
        guard let deadline = spec.startingDeadline, let index = active.firstIndex(where: { $0.jobName == jobName }) else { return false }
        let run = active[index]
        guard !run.manual, now > run.scheduledTime.advanced(by: deadline) else { return false }
        active.remove(at: index)
        recordMissed(run.scheduledTime, count: 1, .startingDeadlineExceeded,
                     "run \(jobName) was recorded but not submitted before its scheduler stopped, and is now past startingDeadlineSeconds (\(deadline.seconds)); it is \(format(now))",
                     now: now, limit: limit)
        return true
    }

    /// Drops the oldest finished runs beyond the history limits; their batch jobs are deleted.
    mutating func trimHistory() {
        for success in [true, false] {
            let limit = success ? spec.successfulJobsHistoryLimit : spec.failedJobsHistoryLimit
            var kept = history.count { $0.isSuccess == success }
            while kept > limit, let index = history.firstIndex(where: { $0.isSuccess == success }) {
                let dropped = history.remove(at: index)
                stopping.removeAll { $0 == dropped.jobName }
                if !deleting.contains(dropped.jobName) { deleting.append(dropped.jobName) }
                kept -= 1
            }
        }
    }

    private mutating func start(at time: Timestamp, now: Timestamp, manual: Bool) -> CronRun {
        let run = CronRun(jobName: spec.runName(at: time), scheduledTime: time, startedAt: now, manual: manual)
        active.append(run)
        return run
    }

    /// Moves every active run to the history as replaced by `run`; returns their batch jobs.
    private mutating func replaceActive(by run: CronRun, now: Timestamp) -> [String] {
        let replaced = active.filter { $0.jobName != run.jobName }
        active.removeAll { $0.jobName != run.jobName }
        for var old in replaced {
            old.finishedAt = now
            old.outcome = .replaced
            old.message = "replaced by run \(run.jobName) (concurrencyPolicy Replace); its tasks were killed"
            history.append(old)
            stopping.append(old.jobName)
        }
        return replaced.map(\.jobName)
    }

    private mutating func recordMissed(_ time: Timestamp, count: Int, _ reason: MissReason, _ message: String, now: Timestamp, limit: Int) {
        missed.append(MissedRun(scheduledTime: time, count: count, reason: reason, message: message, recordedAt: now))
        if missed.count > limit { missed.removeFirst(missed.count - limit) }
    }

    private func describe(_ times: [Timestamp]) -> String {
        times.count == 1 ? "the run at \(format(times[0]))" : "\(times.count) runs from \(format(times[0])) to \(format(times[times.count - 1]))"
    }

    private func format(_ time: Timestamp) -> String { spec.schedule.formatted(time.date) }
}

extension Timestamp {
    /// The same instant as a `Date`.
    var date: Date { Date(timeIntervalSince1970: secondsSinceEpoch) }

    /// The same instant as a `Date`.
    init(_ date: Date) { self.init(secondsSinceEpoch: date.timeIntervalSince1970) }
}
