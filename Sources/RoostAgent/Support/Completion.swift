import Synchronization

/// A value that is set once and can be awaited by any number of tasks.
///
/// Waiting is cancellation-aware: a cancelled waiter stops waiting and gets `nil`, and the
/// value stays available to everyone else. Completing twice keeps the first value.
final class Completion<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var waiters: [UInt64: CheckedContinuation<Value?, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    init() {}

    /// The value, if it has been set.
    var value: Value? { state.withLock { $0.value } }

    /// Sets the value and wakes every waiter; does nothing if it was already set.
    func complete(_ value: Value) {
        let waiters: [CheckedContinuation<Value?, Never>] = state.withLock { state in
            guard state.value == nil else { return [] }
            state.value = value
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: value) }
    }

    /// Waits for the value; returns `nil` if the calling task is cancelled first.
    func wait() async -> Value? {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Value?, Never>) in
                let immediate: Value?? = state.withLock { state in
                    if let value = state.value { return .some(value) }
                    if Task.isCancelled { return .some(nil) }
                    state.waiters[id] = continuation
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(returning: nil)
        }
    }

    /// Waits for the value even if the waiting task is cancelled meanwhile (``wait()`` returns
    /// `nil` then); for outcomes that must not be lost, such as whether a process started.
    func waitIgnoringCancellation() async -> Value? {
        if let value { return value }
        return await withCheckedContinuation { (continuation: CheckedContinuation<Value?, Never>) in
            let immediate: Value? = state.withLock { state in
                if let value = state.value { return value }
                state.nextWaiter += 1
                state.waiters[state.nextWaiter] = continuation
                return nil
            }
            if let immediate { continuation.resume(returning: immediate) }
        }
    }

    /// Waits for the value until `deadline`; `nil` when the deadline passes or the task is cancelled first.
    func wait(until deadline: ContinuousClock.Instant) async -> Value? {
        if let value { return value }
        let first = await withTaskGroup(of: Value?.self) { group in
            group.addTask { await self.wait() }
            group.addTask {
                try? await Task.sleep(until: deadline, clock: .continuous)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        return first ?? value
    }
}
