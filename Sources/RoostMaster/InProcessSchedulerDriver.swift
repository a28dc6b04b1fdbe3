public import Logging
public import RoostCore

/// Connects a ``Scheduler`` to a ``Master`` in the same process.
///
/// Sends the same ``SchedulerCall`` values the HTTP transport will, and
/// delivers events to the scheduler one at a time, in order. It does what the
/// SDK promises by default: acknowledges each status update after
/// ``Scheduler/statusUpdate(_:status:)`` returns, reconciles all tasks after
/// every re-registration, and re-subscribes with its framework ID when the
/// master's connection ends (a master failover), retrying with back-off while
/// no master leads. Events from an older leader epoch than one already seen are
/// dropped.
public actor InProcessSchedulerDriver: SchedulerDriver {
    private let master: Master
    private var framework: FrameworkInfo
    private let logger: Logger
    private var connection: ConnectionID?
    private var stopped = false
    /// Whether ``stop(failover:)`` was called (rather than the master ending the framework).
    private var stopRequested = false
    private var newestEpoch = LeaderEpoch(0)
    private var subscribedOnce = false

    /// The framework's ID once subscribed.
    public var frameworkID: FrameworkID? { framework.id }

    /// Creates a driver for `framework` on `master`; ``run(_:)`` subscribes.
    public init(master: Master, framework: FrameworkInfo, logger: Logger = Logger(label: "roost.driver")) {
        self.master = master
        self.framework = framework
        self.logger = logger
    }

    /// Sends one call to the master.
    /// - Throws: ``SchedulerDriverError``: `stopped` after ``stop(failover:)``, `disconnected`
    ///   while not connected, or the master's refusal.
    public func send(_ call: SchedulerCall.Kind) async throws(SchedulerDriverError) {
        guard !stopped else { throw SchedulerDriverError(.stopped, "the driver was stopped") }
        guard let connection else { throw SchedulerDriverError(.disconnected, "not connected to a leading master; the driver is reconnecting") }
        try await master.schedulerCall(SchedulerCall(frameworkID: framework.id, call), from: connection)
    }

    /// Ends the subscription: without failover the framework is torn down (its tasks killed);
    /// with failover its tasks keep running for its failover timeout.
    public func stop(failover: Bool) async {
        guard !stopped else { return }
        // Marked first: the teardown closes the connection, and the run loop must not take
        // that for a master failover and subscribe again.
        stopped = true
        stopRequested = true
        if !failover, let connection, framework.id != nil {
            try? await master.schedulerCall(SchedulerCall(frameworkID: framework.id, .teardown), from: connection)
        }
        if let connection { await master.schedulerDisconnected(connection) }
        connection = nil
    }

    /// Subscribes and runs `scheduler` until ``stop(failover:)`` is called, or until the
    /// calling task is cancelled.
    ///
    /// Cancelling the task stops the driver with failover, as a scheduler process that exits:
    /// the framework's tasks keep running for its failover timeout, and a new driver with the
    /// framework's ID can take them over. Then `CancellationError` is thrown.
    /// - Throws: ``SchedulerDriverError`` with `failedOver` when the master refuses the
    ///   framework (another scheduler took over, it was torn down), `CancellationError` after a
    ///   cancellation, or whatever the scheduler threw from a callback (the framework is then
    ///   stopped without failover, as a Mesos driver aborts).
    public func run(_ scheduler: some Scheduler) async throws {
        var backoff = Duration.milliseconds(50)
        while !stopped {
            try await stopIfCancelled()
            let (id, events) = await master.connectScheduler()
            connection = id
            if let refusal = await subscribe(on: id) {
                connection = nil
                guard refusal.code == .notLeader || refusal.code == .disconnected else { throw refusal }
                logger.info("no leading master yet; retrying in \(backoff)")
                try await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(2))
                continue
            }
            backoff = .milliseconds(50)
            do {
                for await event in events {
                    guard !stopped else { break }
                    if event.epoch < newestEpoch { continue }
                    newestEpoch = event.epoch
                    try await dispatch(event.kind, to: scheduler)
                }
            } catch {
                // A call that failed because the driver was stopped meanwhile is not a failure.
                if stopRequested { return }
                // The master refused the framework: report it to whoever runs the driver.
                if let refusal = error as? SchedulerDriverError, refusal.code == .failedOver { throw refusal }
                logger.error("scheduler failed: \(error); stopping the framework")
                await stop(failover: false)
                throw error
            }
            // Cancellation ends the events too: the connection is still open, and without this
            // the loop would subscribe again, over and over, until stopped.
            try await stopIfCancelled()
            connection = nil
            if !stopped {
                try await scheduler.disconnected(self)
            }
        }
    }

    /// A cancelled run stops with failover (closing its connection) and throws.
    private func stopIfCancelled() async throws {
        guard Task.isCancelled else { return }
        await stop(failover: true)
        throw CancellationError()
    }

    /// Sends SUBSCRIBE on a new connection; returns the refusal, if any.
    private func subscribe(on id: ConnectionID) async -> SchedulerDriverError? {
        do {
            try await master.schedulerCall(SchedulerCall(frameworkID: framework.id, .subscribe(framework: framework)), from: id)
            return nil
        } catch {
            return error
        }
    }

    private func dispatch(_ event: SchedulerEvent.Kind, to scheduler: some Scheduler) async throws {
        var isFirstSubscription = false
        switch event {
        case .subscribed(let id, _, _):
            framework.id = id
            isFirstSubscription = !subscribedOnce
            subscribedOnce = true
        case .error:
            stopped = true
            connection = nil
        case .callRejected(let call, let message):
            logger.warning("master rejected \(call): \(message)")
        default:
            break
        }
        try await scheduler.receive(event, from: self, isFirstSubscription: isFirstSubscription)
    }
}
