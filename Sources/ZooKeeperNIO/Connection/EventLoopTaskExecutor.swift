import NIOCore

/// A task executor that runs jobs on one NIO event loop, the one a client's connections use.
///
/// swift-nio 2.101 makes an event loop a `SerialExecutor` (for actors) but not a `TaskExecutor`
/// (for `withTaskExecutorPreference`). A task that prefers this executor runs its nonisolated
/// code on the loop's thread, so a reply resumes it there without waking another thread, and
/// its next request joins the outbox without crossing threads.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        // From the loop's own thread (a reply, or a task on the loop) this appends to the loop's
        // queue without a wake-up; from elsewhere it wakes the loop like any `execute`.
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
