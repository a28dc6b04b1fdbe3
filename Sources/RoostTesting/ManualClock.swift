import Synchronization

/// A clock whose time moves only when a test says so: schedules, timeouts and back-offs of
/// hours run in microseconds, and always the same way.
///
/// Hand it to whatever takes a clock (`Stopwatch(clock)` for the master and agents, or a
/// framework's own `Configuration`), then move time with ``advance(by:)``. Sleepers whose
/// deadline is reached wake in deadline order (earlier first, then in the order they went
/// to sleep). A sleep until an instant that has passed returns at once; a cancelled sleep
/// throws `CancellationError` at once.
///
/// To move time only after the code under test has gone to sleep (so it cannot miss a
/// deadline it has not armed yet), wait for it first:
///
/// ```swift
/// let clock = ManualClock()
/// // … start the code under test with the clock …
/// try await clock.waitForSleepers(1)
/// clock.advance(by: .seconds(10))
/// ```
///
/// Thread-safe: any task may sleep on it, read ``now`` or advance it.
public final class ManualClock: Clock, Sendable {
    /// An instant of a ``ManualClock``: the time since the clock's origin.
    public struct Instant: InstantProtocol, Sendable, Hashable, Comparable, CustomStringConvertible {
        /// Time since the clock's origin (zero when the clock was made).
        public var offset: Duration

        /// The instant `offset` after the clock's origin.
        public init(offset: Duration) { self.offset = offset }

        /// The instant `duration` later.
        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        /// The time from this instant to `other`.
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        /// Whether `lhs` is earlier than `rhs`.
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
        /// `+12.5 seconds` style: the offset from the origin.
        public var description: String { "+\(offset)" }
    }

    private struct Sleeper {
        var id: UInt64
        var deadline: Instant
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Instant
        var sleepers: [Sleeper] = []
        var nextID: UInt64 = 0
    }

    private let state: Mutex<State>

    /// A clock at its origin, or `offset` after it.
    public init(offset: Duration = .zero) {
        state = Mutex(State(now: Instant(offset: offset)))
    }

    /// The current instant; it changes only through ``advance(by:)`` and ``advance(to:)``.
    public var now: Instant { state.withLock { $0.now } }

    /// Zero: the clock moves in whatever steps a test chooses.
    public var minimumResolution: Duration { .zero }

    /// How many tasks sleep on the clock now.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// The earliest deadline anyone sleeps until; `nil` when nobody sleeps.
    public var nextDeadline: Instant? { state.withLock { $0.sleepers.map(\.deadline).min() } }

    /// Suspends until the clock reaches `deadline` (at once if it has).
    /// - Throws: `CancellationError` when the task is cancelled, at once.
    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = state.withLock { state -> Result<Void, any Error>? in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if deadline <= state.now { return .success(()) }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let cancelled = state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.sleepers.remove(at: index)
            }
            cancelled?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward by `duration` and wakes every sleeper whose deadline is reached.
    /// A negative duration is taken as zero: the clock never goes back.
    public func advance(by duration: Duration) {
        let target = state.withLock { $0.now.advanced(by: max(duration, .zero)) }
        advance(to: target)
    }

    /// Moves time forward to `instant` (nothing happens if it has passed) and wakes every
    /// sleeper whose deadline is reached, earliest first.
    public func advance(to instant: Instant) {
        let woken = state.withLock { state -> [Sleeper] in
            guard instant > state.now else { return [] }
            state.now = instant
            let due = state.sleepers.enumerated()
                .filter { $0.element.deadline <= instant }
                .sorted { ($0.element.deadline, $0.offset) < ($1.element.deadline, $1.offset) }
                .map(\.element)
            state.sleepers.removeAll { $0.deadline <= instant }
            return due
        }
        for sleeper in woken { sleeper.continuation.resume() }
    }

    /// Waits (in real time, boundedly) until at least `count` tasks sleep on the clock.
    /// - Throws: ``WaitTimeout`` when that does not happen within `timeout`.
    public func waitForSleepers(_ count: Int, timeout: Duration = .seconds(15)) async throws {
        try await waitUntil("\(count) task(s) sleeping on the manual clock", timeout: timeout) { sleeperCount >= count }
    }
}
