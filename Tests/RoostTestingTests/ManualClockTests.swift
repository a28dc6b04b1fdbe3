import RoostCore
import RoostTesting
import Synchronization
import Testing

struct ManualClockTests {
    @Test func sleepersWakeWhenTimeReachesTheirDeadlineInDeadlineOrder() async throws {
        let clock = ManualClock()
        let woken = Recorder()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for seconds in [30, 10, 20] {
                group.addTask {
                    try await clock.sleep(until: clock.now.advanced(by: .seconds(seconds)))
                    woken.append(seconds)
                }
            }
            try await clock.waitForSleepers(3)
            #expect(clock.nextDeadline == ManualClock.Instant(offset: .seconds(10)))

            clock.advance(by: .seconds(15))
            try await waitUntil("the 10 s sleeper woke") { woken.values == [10] }
            #expect(clock.sleeperCount == 2)

            clock.advance(to: ManualClock.Instant(offset: .seconds(30)))
            try await group.waitForAll()
        }
        #expect(woken.values.first == 10)
        #expect(Set(woken.values) == [10, 20, 30])
        #expect(clock.now.offset == .seconds(30))
    }

    @Test func aPassedDeadlineReturnsAtOnceAndTimeNeverGoesBack() async throws {
        let clock = ManualClock(offset: .seconds(100))
        try await clock.sleep(until: ManualClock.Instant(offset: .seconds(50)))
        clock.advance(by: .seconds(-5))
        clock.advance(to: ManualClock.Instant(offset: .seconds(10)))
        #expect(clock.now.offset == .seconds(100))
        #expect(clock.sleeperCount == 0)
    }

    @Test func cancellingASleeperThrowsAtOnceAndRemovesIt() async throws {
        let clock = ManualClock()
        let sleeper = Task { try await clock.sleep(until: clock.now.advanced(by: .seconds(3600))) }
        try await clock.waitForSleepers(1)
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        #expect(clock.sleeperCount == 0)
    }

    @Test func aStopwatchOnTheClockFollowsIt() async throws {
        let clock = ManualClock()
        let stopwatch = Stopwatch(clock)
        clock.advance(by: .seconds(90))
        #expect(stopwatch.elapsed == .seconds(90))
        let sleeper = Task { try await stopwatch.sleep(for: .seconds(60)) }
        try await clock.waitForSleepers(1)
        clock.advance(by: .seconds(59))
        #expect(clock.sleeperCount == 1)
        clock.advance(by: .seconds(1))
        try await sleeper.value
        #expect(stopwatch.elapsed == .seconds(150))
    }
}

/// Values appended from several tasks.
final class Recorder: Sendable {
    private let storage = Mutex<[Int]>([])
    func append(_ value: Int) { storage.withLock { $0.append(value) } }
    var values: [Int] { storage.withLock { $0 } }
}
