import FoundationEssentials

/// Where a framework's scheduler gets its time: the time it stamps on what it records (start
/// and completion times, histories) and the clock its timers (back-offs, deadlines, TTLs)
/// sleep on. The batch, cron and service frameworks all take one.
///
/// Times are wall-clock ``Timestamp``s, so a scheduler that takes over after a failover reads
/// the deadlines its predecessor stored. Production uses ``system``; tests hand in a manual
/// clock and move time by hand:
///
/// ```swift
/// let clock = ManualClock()
/// let time = FrameworkTime(clock, origin: clock.now, at: Timestamp(secondsSinceEpoch: 1_000_000))
/// ```
public struct FrameworkTime: Sendable {
    private let current: @Sendable () -> Timestamp
    private let sleeper: @Sendable (Timestamp) async throws -> Void

    /// Time on `clock`, where `origin` is the wall-clock moment `timestamp`.
    ///
    /// Two schedulers built with the same clock, origin and timestamp agree on the time (what a
    /// failover test needs).
    public init<C: Clock>(_ clock: C, origin: C.Instant, at timestamp: Timestamp) where C.Duration == Duration {
        current = { timestamp.advanced(by: origin.duration(to: clock.now)) }
        sleeper = { target in
            let wait = Duration.milliseconds(Int64(((target.secondsSinceEpoch - timestamp.secondsSinceEpoch) * 1000).rounded(.up)))
            try await clock.sleep(until: origin.advanced(by: wait), tolerance: nil)
        }
    }

    /// The machine's time: the wall clock now, then measured on `ContinuousClock` so a change
    /// of the system time does not move timers.
    public static var system: FrameworkTime {
        let wall = Timestamp(secondsSinceEpoch: Date().timeIntervalSince1970)
        let clock = ContinuousClock()
        return FrameworkTime(clock, origin: clock.now, at: wall)
    }

    /// The current time.
    public var now: Timestamp { current() }

    /// Sleeps until `timestamp` (returns at once if it has passed).
    /// - Throws: `CancellationError` when the task is cancelled.
    public func sleep(until timestamp: Timestamp) async throws { try await sleeper(timestamp) }
}

extension FrameworkTime {
    /// A scheduler's timer loop: calls `due` (which acts on what is due and returns the next
    /// moment something will be), then sleeps until that moment or until `doorbell` rings (a
    /// change moved the deadlines), and again, until the task is cancelled.
    public func runTimers(isolation: isolated (any Actor)? = #isolation, wakingOn doorbell: Doorbell, _ due: () async -> Timestamp?) async {
        while !Task.isCancelled {
            let next = await due()
            await withTaskGroup(of: Void.self) { group in
                if let next {
                    group.addTask {
                        // Only a sleep that ran out rings: a cancelled one (the loop woke for
                        // another reason) must not leave a ring behind, or the next wait
                        // returns at once and the loop spins.
                        guard (try? await self.sleep(until: next)) != nil else { return }
                        doorbell.ring()
                    }
                }
                await doorbell.wait()
                group.cancelAll()
            }
        }
    }
}
